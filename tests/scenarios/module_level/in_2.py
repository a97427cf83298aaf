import hot_restart  # noqa: F401

SCALE = 10  # a changed constant: applied, nothing changed it since
HISTORY = ["fresh"]  # changed too, but the program filled it: state, not re-run


def scaled(x):
    HISTORY.append(x)
    return x * SCALE  # fixed


if __name__ == "__main__":
    print("scaled:", scaled(2))
    print("history:", HISTORY, "(not re-run: this block is running)")
