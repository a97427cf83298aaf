import re  # new

import hot_restart  # noqa: F401

SEPARATOR = r"[,;]\s*"  # new


def parse(text):
    return clean(re.split(SEPARATOR, text))  # fixed: a new import, constant and helper


def clean(parts):  # new
    return [p for p in parts if p]


def total(text):
    result = 0
    for part in parse(text):
        result += int(part)
    return result


if __name__ == "__main__":
    print("first:", total("1;2"))
    print("total:", total("1, 2,3,"))
    print("again:", total("4;5"))
