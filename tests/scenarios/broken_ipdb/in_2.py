import sys

import hot_restart


def outer():
    result = inner(10)
    print("result:", result)
    return result


def inner(x):
    x = x // 2  # fixed
    return x, sys._getframe().f_lineno


hot_restart.wrap_module()
if __name__ == "__main__" and not hot_restart.is_restarting_module():
    outer()
    print("second call:", inner(8))
    print("line:", sys._getframe().f_lineno)
