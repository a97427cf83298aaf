import pdb  # noqa: F401  (as doctest, IPython or a test helper would: bdb is loaded)
import sys

import hot_restart


def check(x):
    if x < 0:
        raise ValueError("negative")
    return x


def inner(x):
    return 10 // (x - 2)  # the bug


hot_restart.wrap_module()
if __name__ == "__main__":
    try:
        check(-1)  # before debugpy is imported: "no prompt here" is cached
    except ValueError:
        pass
    import debugpy

    debugpy.listen(("127.0.0.1", int(sys.argv[1])))
    debugpy.wait_for_client()
    print("result:", inner(2))
