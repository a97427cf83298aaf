import hot_restart


def outer(factor):
    offset = 100

    @hot_restart.wrap
    def inner(x):
        return x * factor // 0  # the bug

    print("offset is", offset)
    return inner(3)


if __name__ == "__main__":
    print("first:", outer(2))
    print("second:", outer(5))
