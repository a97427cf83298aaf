import sys

import hot_restart

hot_restart.RELOAD_ALL_ON_CONTINUE = sys.argv[1] == "all"


def helper():
    return "new helper"  # edited too, though it never crashed


def crash():
    return "crash sees " + helper()  # fixed


hot_restart.wrap_module()

if __name__ == "__main__":
    print("before:", helper())
    print("crash:", crash())
    print("after:", helper())
