def compute(x):
    return 100 // (x + 1)
