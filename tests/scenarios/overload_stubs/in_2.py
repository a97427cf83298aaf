"""A line added at the top: the stub is now where the implementation was."""
from typing import overload

import hot_restart


@overload
def compute(x: int) -> int: ...
@overload
def compute(x: str) -> str: ...
def compute(x):
    return x * 2  # fixed


hot_restart.wrap_module()

if __name__ == "__main__":
    print("result:", compute(21))
