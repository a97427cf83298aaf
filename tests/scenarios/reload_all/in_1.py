import sys

import hot_restart

hot_restart.RELOAD_ALL_ON_CONTINUE = sys.argv[1] == "all"


def helper():
    return "old helper"


def crash():
    return "crash sees " + helper() + str(1 / 0)  # the bug


hot_restart.wrap_module()

if __name__ == "__main__":
    print("before:", helper())
    print("crash:", crash())
    print("after:", helper())
