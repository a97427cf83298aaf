import contextlib
import io

from hot_restart.runtime.state import STATE


def chatty():
    print("into the buffer")
    STATE.forget_terminal()  # a host asks again while stdout is a buffer
    raise KeyError("handled inside the redirect")


def captured():
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        try:
            chatty()
        except KeyError:
            pass
    return buffer.getvalue().strip()


def ratio(total, count):
    return total / max(count, 1)  # fixed


def main():
    print("captured:", captured())
    print("result:", ratio(10, 0))


if __name__ == "__main__":
    main()
