import hot_restart


class Base:
    def describe(self):
        return "base"


class Child(Base):
    def describe(self):
        return "child of " + self.parent  # the bug: no such attribute


hot_restart.wrap_module()

if __name__ == "__main__":
    print("describe:", Child().describe())
    print("later:", Child().describe())
