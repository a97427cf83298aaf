import functools
import sys

import hot_restart

computed = []


@hot_restart.wrap
@functools.cache
def square(x):
    computed.append(x)
    return x * x  # fixed


def logged(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        print("calling", fn.__name__, args)
        return fn(*args, **kwargs)

    return wrapper


@hot_restart.wrap
@logged
def add(a, b):
    return a + b  # fixed


if __name__ == "__main__":
    if sys.argv[1] == "cache":
        print("square:", square(3))
        print("square again:", square(3))
        print("square other:", square(4))
        print("computed:", computed, square.cache_info().hits)
    else:
        print("add:", add(2, 3))
        print("add again:", add(4, 5))
        print("name kept:", add.__name__, add.__wrapped__.__name__)
