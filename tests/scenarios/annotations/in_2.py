import inspect

import hot_restart


class Meters(float):
    pass


class Feet(float):
    pass


def convert(x: float, scale: int = 2) -> Feet:  # the fix changes the annotations too
    return Feet(x * scale)


hot_restart.wrap_module()

if __name__ == "__main__":
    print("before:", convert.__annotations__)  # read (and on 3.14, cached) before the crash
    print("result:", convert(3))
    print("after:", convert.__annotations__)
    print("signature:", inspect.signature(convert))
