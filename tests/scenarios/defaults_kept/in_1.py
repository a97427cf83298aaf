import hot_restart


def tally(word, counts={}, *, seen=[]):
    key = word.lower()  # the bug: word may be None
    counts[key] = counts.get(key, 0) + 1
    seen.append(key)
    return counts[key]


def fmt(n, width=3):
    return str(n).rjust(width, ".")


def make_marker():
    print("marker made")
    return object()


def marked(x, marker=make_marker()):
    return x


hot_restart.wrap_module()

if __name__ == "__main__":
    print("first:", tally("a"), tally("a"))
    print("none:", tally(None))
    print("after:", tally("a"), len(tally.__kwdefaults__["seen"]), fmt(7))
    print("number:", tally(5))
    print("last:", tally("a"))
