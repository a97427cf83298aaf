"""Context managers that may suppress, and C code that may swallow: the stop
waits until the exception reappears in instrumented code."""

import contextlib


class Ignoring:
    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        return kind is KeyError


def lookup(table, key):
    return table[key]


def quiet(table):
    with Ignoring():
        return lookup(table, "missing")
    return "suppressed"


def stacked(table):
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.suppress(KeyError))
        return lookup(table, "missing")
    return "suppressed too"


class Item:
    def __init__(self, name):
        self.name = name


def name_of(item):
    return item.name.upper()


def label(items):
    return ", ".join(map(name_of, items))


print("context managers:", quiet({}), stacked({}))
print("label:", label([Item("a"), Item("b")]))
