"""Closures that differ only by a default (n=n in a loop): the crashed one is
re-run, with its own default, though the re-run leaves the default out."""

def make_handlers(names):
    handlers = []
    for n in names:
        def handle(x, n=n):
            return n.upper() + ":" + x
        handlers.append(handle)
    return handlers


def main():
    hs = make_handlers(["a", "b", "c"])
    for h, arg in zip(hs, ["1", 2, "3"]):
        print(h(arg))
    print("done")


main()
