import sys


def inner(x):
    return 10 // (x - 2)  # the bug


def outer():
    print("outer runs")
    return inner(2) + 1


if __name__ == "__main__":
    print("stdin is a terminal:", sys.stdin.isatty())
    print("result:", outer())
