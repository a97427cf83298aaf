"""Exceptions that C code swallows never stop; a crash in a sorted() key does."""

import argparse
import operator


class Order:
    def __init__(self, amount):
        self.amount = amount

    @property
    def total(self):
        if self.amount % 2:
            raise AttributeError("no total for odd amounts")
        return self.amount


class Lazy:
    @property
    def value(self):
        raise AttributeError("not computed")

    def __getattr__(self, name):
        return f"fallback for {name}"


class Strict:
    def __getattribute__(self, name):
        if name == "hidden":
            raise AttributeError(name)
        return object.__getattribute__(self, name)

    def __getattr__(self, name):
        return "from __getattr__"


class Stream:
    def __iter__(self):
        return iter([1, 2, 3])

    def __length_hint__(self):
        raise TypeError("unknown length")


def positive(text):
    value = int(text)
    if value <= 0:
        raise ValueError("not positive")
    return value


def later(x):
    return 10 / x


def weight(order):
    return 100 // (order.amount or 1)


def heaviest(orders):
    return sorted(orders, key=weight)


orders = [Order(i) for i in range(6)]
print("hasattr:", [hasattr(o, "total") for o in orders])
print("getattr:", [getattr(o, "total", None) for o in orders])
print("fallbacks:", Lazy().value, getattr(Lazy(), "value"), Strict().hidden)
print("hint:", list(Stream()), operator.length_hint(Stream(), 7))
parser = argparse.ArgumentParser(exit_on_error=False)
parser.add_argument("--n", type=positive)
try:
    parser.parse_args(["--n", "-3"])
except argparse.ArgumentError as e:
    print("argparse said:", e)
try:
    later(0)
except ZeroDivisionError:
    print("module level handled it")
print("weights:", [weight(o) for o in heaviest([Order(5), Order(0), Order(2)])])
print("done")
