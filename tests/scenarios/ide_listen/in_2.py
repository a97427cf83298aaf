import debugpy

import hot_restart


def inner(x):
    return 10 // (x + 3)


hot_restart.wrap_module()
if __name__ == "__main__":
    # debugpy is listening (as a kernel's does), but no client attached:
    # the crash must open the terminal's debugger, not wait for an IDE.
    debugpy.listen(("127.0.0.1", 0))
    print("result:", inner(2))
