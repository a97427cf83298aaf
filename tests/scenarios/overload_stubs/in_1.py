from typing import overload

import hot_restart


@overload
def compute(x: int) -> int: ...
@overload
def compute(x: str) -> str: ...
def compute(x):
    return x * 2 // 0  # the bug


hot_restart.wrap_module()

if __name__ == "__main__":
    print("result:", compute(21))
