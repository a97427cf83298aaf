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
        return "child " + self.missing  # the bug; the fix calls super()

    def name(self):
        return "Child>" + super().name() + self.missing  # the bug

    @staticmethod
    def double(x):
        return x * 2 + undefined_name  # the bug

    @classmethod
    def scaled(cls, x):
        return x * cls.FACTORR  # the bug: typo

    @property
    def label(self):
        return "label:" + 1  # the bug


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
