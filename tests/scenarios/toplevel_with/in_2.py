"""A crash under a top-level `with` whose __exit__ might swallow it (ExitStack):
the top level has no trampoline to decide later, so it stops at the crash."""

from contextlib import ExitStack


def share(total, parts):
    return total // (parts or 1)


with ExitStack() as stack:
    stack.callback(print, "stack closed")
    print("share", share(10, 0))
print("done")
