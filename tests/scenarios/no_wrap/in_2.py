import sys

import hot_restart


@hot_restart.no_wrap
def helper(x):
    return 10 // x


@hot_restart.no_wrap
class Plain:
    def method(self):
        raise KeyError("plain")


def caller(x):
    return helper(x or 1)  # fixed


hot_restart.wrap_module()

if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "function":
        helper(0)
    elif mode == "class":
        Plain().method()
    else:
        print("caller:", caller(0))
