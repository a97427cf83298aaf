import sys

from helper import average


def label(n):
    return "item " + n  # the bug: n is an int


def main():
    print("args:", sys.argv[1:])
    print("average:", average([2, 4, 6]))
    print("label:", label(3))
    print("done")


if __name__ == "__main__":
    main()
