import functools


def cents(fn):
    """Prices come back in cents."""

    @functools.wraps(fn)
    def wrapper(*args):
        return fn(*args) * 100  # fixed: the wrapper made at import runs this too

    return wrapper


@cents
def price(item):
    return {"tea": 3, "cake": 5}[item]


def bill(items):
    return sum(price(item) for item in items)


if __name__ == "__main__":
    print("bill:", bill(["tea", "cake"]))
    print("again:", bill(["cake"]))
