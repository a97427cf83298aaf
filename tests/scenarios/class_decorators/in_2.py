import sys

import hot_restart


@hot_restart.wrap_class
class A:
    def m(self, x):
        return x * 2  # fixed


@hot_restart.wrap(propagated_exceptions=(KeyError,))
class B:
    def get(self, d, k):
        if k is None:
            k = "None"  # fixed
        return d[k]


mode = sys.argv[1]
if mode == "a":
    print("A:", A().m(3))
elif mode == "bkey":
    try:
        B().get({}, "k")
    except KeyError:
        print("handled")
elif mode == "bval":
    print("B:", B().get({"None": 1}, None))
