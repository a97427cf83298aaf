import hot_restart  # noqa: F401


def parse(text):
    return text.split(";")  # the bug: the numbers are separated by commas too


def total(text):
    result = 0
    for part in parse(text):
        result += int(part)
    return result


if __name__ == "__main__":
    print("first:", total("1;2"))
    print("total:", total("1, 2,3,"))
    print("again:", total("4;5"))
