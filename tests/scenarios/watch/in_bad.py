def compute(x):
    return 100 // (x + 1  # a save in the middle of the edit
