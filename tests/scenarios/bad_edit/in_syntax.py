import hot_restart


def compute(x):
    if x > 5
        return f"v2:{x}"  # a half-done edit: the colon is missing
    return f"v2:{x}"


hot_restart.wrap_module()

if __name__ == "__main__":
    print("small:", compute(1))
    print("big:", compute(9))
