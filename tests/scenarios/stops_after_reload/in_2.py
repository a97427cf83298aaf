"""Stops after a reload, for the kinds of exception C code can swallow.

convert("x") raises ValueError: the first stop.  The fix (in_2.py) adds
lines above main(), which is running: main keeps its old code, and its
lines, while the function `main` gets the moved code.  Then convert("7",
"k") raises TypeError, whose step to main is read from main's old text:
it must stop in convert again.  in_3.py fixes that one with a version that
still raises a KeyError when re-run: it must stop in the re-run (its caller
is the crashed copy, not C code).  in_4.py is right.
"""


def convert(s, k):
    if not s.isdigit():
        return -1
    n = int(s)
    return n * k + 1


def show(x):
    return x


def main():
    for s, k in [("5", 1), ("x", 1), ("7", "k"), ("8", 2)]:
        print("got", show(convert(s, k)))
    print("done")


main()
