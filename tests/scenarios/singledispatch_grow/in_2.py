import functools

import hot_restart


@functools.singledispatch
def describe(x):
    return "object"


@describe.register
def _(x: int):
    # The earlier registration grew by
    # several lines,
    # so that its decorator is now
    # nearer to where the str one was
    # than the str one itself.
    return "int"


@describe.register
def _(x: str):
    return "str " + x * 2  # fixed


hot_restart.wrap_module()

if __name__ == "__main__":
    print("int:", describe(1))
    print("str:", describe("ab"))
