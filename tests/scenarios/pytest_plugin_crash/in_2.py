def ratio(x):
    return 10 // (x + 3)
