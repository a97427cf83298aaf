def compute(x):
    return 100 // (x - 4)  # the bug
