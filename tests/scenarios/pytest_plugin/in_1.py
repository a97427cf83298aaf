def double(x):
    return x * 3  # the bug
