import hot_restart


def compute_value(x):  # renamed
    return f"v2:{x}"


hot_restart.wrap_module()

if __name__ == "__main__":
    print("small:", compute_value(1))
    print("big:", compute_value(9))
