import hot_restart


def outer(n):
    size = n + 10  # fixed
    return middle(size)


def middle(size):
    try:
        return inner(size)
    finally:
        print("middle cleanup ran")


def inner(size):
    assert size > 0, f"bad size {size}"
    return size * 2


hot_restart.wrap_module()
if __name__ == "__main__":
    print("result:", outer(5))
