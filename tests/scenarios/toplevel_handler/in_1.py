"""Top-level code is the user's: its try/except handles; what escapes it stops."""


def later(x):
    return 10 / x


try:
    later(0)
except ZeroDivisionError:
    print("handled at the top level")

for attempt in range(2):
    try:
        later(0)
    except (KeyError, ZeroDivisionError):
        print("handled in a loop", attempt)

print("result:", later(0))
