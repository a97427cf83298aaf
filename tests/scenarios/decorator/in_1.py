import sys

import hot_restart


@hot_restart.wrap
def ratio(a, b):
    return a // b  # the bug: b may be 0


@hot_restart.wrap(propagated_exceptions=(KeyError,))
def lookup(table, key):
    if not isinstance(key, str):
        raise ValueError(f"bad key {key!r}")
    return table[key]


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "plain":
        print("ratio:", ratio(7, 0))
        print("again:", ratio(9, 0))
    elif mode == "handled-keyerror":
        try:
            lookup({}, "missing")
        except KeyError as e:
            print("program handled KeyError", e)
        print("done")
    elif mode == "unhandled-keyerror":
        lookup({}, "missing")
    elif mode == "valueerror":
        print("lookup:", lookup({"1": "one"}, 1))
