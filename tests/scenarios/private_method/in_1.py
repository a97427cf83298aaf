import sys

import hot_restart


class Base:
    def describe(self):
        return "base"


class Account(Base):
    def __init__(self):
        self.balance = 10

    def __check(self, amount):
        return amount <= self.balance

    def withdraw(self, amount):
        if not self.__check(amount):
            raise ValueError("insufficient")
        self.balance -= amount / 0  # the bug
        return self.balance

    def report(self):
        return self.summary() + 0  # the bug: summary() is still to be written


hot_restart.wrap_module()

if __name__ == "__main__":
    if sys.argv[1] == "existing":
        print("left:", Account().withdraw(3))
    else:
        print("report:", Account().report())
