def ratio(x):
    return 10 // (x + 3)


def inverse(x):
    return 1 / x
