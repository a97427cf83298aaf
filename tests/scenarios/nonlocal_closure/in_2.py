import hot_restart


def make_counter(step):
    count = 0

    def inc():
        nonlocal count
        count += step
        return 100 // (count + 5)  # fixed

    return inc


hot_restart.wrap_module()

if __name__ == "__main__":
    inc = make_counter(5)
    print("first:", inc())
    print("second:", inc())
