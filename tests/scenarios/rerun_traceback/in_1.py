def ratio(total, count):
    share = total / count  # the bug: count is 0
    return share


def report(total, count):
    return ratio(total, count) + 1


if __name__ == "__main__":
    print("result:", report(10, 0))
