import hot_restart


def inner(x):
    return 10 // (x + 3)


hot_restart.wrap_module()
if __name__ == "__main__":
    print("result:", inner(2))
