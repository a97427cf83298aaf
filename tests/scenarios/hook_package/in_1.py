def scale(x, factor=2):
    factor = factor - 3  # rebinds a parameter before the bug shows
    return 10 // factor * x


class Cart:
    def total(self, prices):
        return sum(prices) / 0  # the bug
