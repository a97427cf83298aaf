import inspect

import hot_restart


class Meters(float):
    pass


class Feet(float):
    pass


def convert(x: int, scale: float = 2.0) -> Meters:
    return Meters(x * scale / 0)  # the bug


hot_restart.wrap_module()

if __name__ == "__main__":
    print("before:", convert.__annotations__)  # read (and on 3.14, cached) before the crash
    print("result:", convert(3))
    print("after:", convert.__annotations__)
    print("signature:", inspect.signature(convert))
