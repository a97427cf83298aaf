import sys

import hot_restart


class Base:
    def greet(self):
        return "base"

    def name(self):
        return "Base.name"


class Child(Base):
    FACTOR = 10

    def greet(self):
        return "child+" + super().greet()  # fixed; super() is new here

    def name(self):
        return "Child>" + super().name()  # fixed

    @staticmethod
    def double(x):
        return x * 2  # fixed

    @classmethod
    def scaled(cls, x):
        return x * cls.FACTOR  # fixed

    @property
    def label(self):
        return "label:" + type(self).__name__  # fixed


api, member = sys.argv[1], sys.argv[2]
if api == "wrap_class":
    hot_restart.wrap_class(Child)
else:
    hot_restart.wrap_module()

if __name__ == "__main__":
    obj = Child()
    for _ in range(2):  # the second round must not prompt: the fix is in place
        if member == "method":
            print("greet:", obj.greet())
        elif member == "super":
            print("name:", obj.name())
        elif member == "static":
            print("double:", Child.double(4))
        elif member == "class":
            print("scaled:", Child.scaled(4))
        elif member == "property":
            print("label:", obj.label)
    print("finished")
