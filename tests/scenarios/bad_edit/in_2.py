import hot_restart


def compute(x):
    return f"v2:{x}"  # fixed


hot_restart.wrap_module()

if __name__ == "__main__":
    print("small:", compute(1))
    print("big:", compute(9))
