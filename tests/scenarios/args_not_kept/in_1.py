import os

from hot_restart.runtime.state import STATE


def prompt_from_now_on():
    """What a host does when a prompt becomes possible while the program runs."""
    os.environ["HOT_RESTART_FORCE_PROMPT"] = "1"
    STATE.forget_terminal()


def scale(n):
    n = n * 2  # rebinds its parameter: a restart needs n as it was at entry
    prompt_from_now_on()
    return 10 // (n - 6)  # the bug: n is 6


def main():
    print("result:", scale(3))


if __name__ == "__main__":
    main()
