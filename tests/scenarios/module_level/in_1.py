import hot_restart  # noqa: F401

SCALE = 1
HISTORY = []


def scaled(x):
    HISTORY.append(x)
    return x * SCALE // 0  # the bug


if __name__ == "__main__":
    print("scaled:", scaled(2))
    print("history:", HISTORY)
