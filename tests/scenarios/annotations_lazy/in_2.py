import hot_restart


def note(tag):
    print("evaluating annotation", tag)
    return tag


def convert(x: note("x")) -> note("return"):  # noqa: F821 (annotations with a side effect)
    return x * 2.0


hot_restart.wrap_module()

if __name__ == "__main__":
    print("result:", convert(3))
    print("reading annotations")
    print("after:", convert.__annotations__)
