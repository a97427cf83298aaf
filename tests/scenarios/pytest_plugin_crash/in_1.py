def ratio(x):
    return 10 // (x - 2)  # the bug: x == 2


def inverse(x):
    return 1 / x
