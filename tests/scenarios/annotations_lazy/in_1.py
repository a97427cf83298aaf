import hot_restart


def note(tag):
    print("evaluating annotation", tag)
    return tag


def convert(x: int) -> float:
    return x / 0  # the bug


hot_restart.wrap_module()

if __name__ == "__main__":
    print("result:", convert(3))
    print("reading annotations")
    print("after:", convert.__annotations__)
