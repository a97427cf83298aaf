import functools

import hot_restart


@functools.singledispatch
def describe(x):
    return "object"


@describe.register
def _(x: int):
    return "int"


@describe.register
def _(x: str):
    return "str " + x // 2  # the bug


hot_restart.wrap_module()

if __name__ == "__main__":
    print("int:", describe(1))
    print("str:", describe("ab"))
