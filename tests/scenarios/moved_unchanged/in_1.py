import hot_restart


def grow():
    return 1 // 0  # the bug


def later():
    raise ValueError("later failed")  # LATER


hot_restart.wrap_module()

if __name__ == "__main__":
    print("grow:", grow())
    later()
