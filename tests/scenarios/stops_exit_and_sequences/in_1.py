"""Where C code or a with statement is between a crash and its caller.

Seq's __getitem__ ends every iteration with IndexError, which a for loop
and list() swallow: no stop.  Timer's __exit__ raises by itself, on a
normal exit (label None): nothing swallows that, so it stops in __exit__,
and `c` re-runs __exit__ only (each step's work is done once).
"""


class Seq:
    def __getitem__(self, i):
        if i >= 3:
            raise IndexError(i)
        return i * 10


class Timer:
    def __init__(self, label):
        self.label = label

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        print("closed", self.label.upper())


def step(label):
    with Timer(label):
        print("work", label)


def main():
    for v in Seq():
        print("item", v)
    print("all", list(Seq()))
    for label in ["a", None, "c"]:
        step(label)
    print("done")


main()
