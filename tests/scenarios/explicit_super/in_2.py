import hot_restart


class Base:
    def describe(self):
        return "base"


class Child(Base):
    def describe(self):
        return f"{__class__.__name__} of " + super(Child, self).describe()  # fixed


hot_restart.wrap_module()

if __name__ == "__main__":
    print("describe:", Child().describe())
    print("later:", Child().describe())
