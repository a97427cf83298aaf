import hot_restart


def compute(x):
    if x > 5:
        raise ValueError(f"{x} is too big")  # the bug
    return f"v1:{x}"


hot_restart.wrap_module()

if __name__ == "__main__":
    print("small:", compute(1))
    print("big:", compute(9))
