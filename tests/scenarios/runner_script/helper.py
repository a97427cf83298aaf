def average(values):
    return sum(values) / (len(values) - 3)  # the bug: divides by zero
