def ratio(total, count):
    share = total / max(count, 1)  # fixed
    return share


def report(total, count):
    return ratio(total, count) + 1


if __name__ == "__main__":
    print("result:", report(10, 0))
