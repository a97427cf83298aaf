"""A singledispatch function grows at a crash: key(4) has no int registration.

The crash stops in key, the implementation the dispatcher called.  The
fix (in_2.py) adds a registration, `@key.register def _(x: int)`, and edits
the str one, which is not the `_` the module's name holds (the list one,
defined last): both must apply, the report must say so, and `c` must re-run
the call through the dispatcher, which now finds the int registration.
"""

from functools import singledispatch


@singledispatch
def key(x):
    raise TypeError(f"no key for {type(x).__name__}")


@key.register
def _(x: str):
    return x.strip().lower() + "!"


@key.register
def _(x: list):
    return tuple(key(i) for i in x)


@key.register
def _(x: int):
    return str(x)


def label(value):
    return f"{value!r} -> {key(value)!r}"


for value in ["A ", ["B", " C"], 4, "e"]:
    print(label(value))
print("done")
