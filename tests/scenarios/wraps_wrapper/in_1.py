"""A crash in a functools.wraps wrapper itself: reloaded as the nested def it is,
though wraps gave it the decorated function's __qualname__ (Python 3.10 has no co_qualname)."""

import functools


def logged(fn):
    @functools.wraps(fn)
    def wrapper(*a):
        r = fn(*a)
        return r + OFFSET
    return wrapper


@logged
def double(x):
    return 2 * x


def main():
    print(double(4))
    print("done")


main()
