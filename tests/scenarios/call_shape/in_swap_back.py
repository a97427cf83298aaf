import os

import hot_restart


def swap(a, b):
    print("args", a, b)
    return a // (b or 1)


def insert(a, b):
    return a // b


def scale(x, factor=0):
    return x // factor


def rename(a, b):
    return a // b


def unread(a, b):
    return a // b


def key(x, k=0):
    return x // k


hot_restart.wrap_module()

if __name__ == "__main__":
    case = os.environ["CASE"]
    if case == "swap":
        print("swap:", swap(b=0, a=7))
    elif case == "insert":
        print("insert:", insert(7, b=0))
    elif case == "default":
        print("scale:", scale(8))
    elif case == "rename":
        print("rename:", rename(7, 0))
    elif case == "unread":
        print("unread:", list(map(unread, [7], [0])))  # called by C code: map
    elif case == "unread_default":
        print("key:", sorted([8], key=key))  # called by C code: sorted
    print("done")
