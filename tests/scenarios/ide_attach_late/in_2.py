import sys

import debugpy

import hot_restart


def check(x):
    if x < 0:
        raise ValueError("negative")
    return x


def inner(x):
    return 10 // (x + 3)


hot_restart.wrap_module()
if __name__ == "__main__":
    debugpy.listen(("127.0.0.1", int(sys.argv[1])))
    try:
        check(-1)  # an exception before the IDE attaches: "no prompt here" is cached
    except ValueError:
        pass
    debugpy.wait_for_client()
    print("result:", inner(2))
