def scale(x, factor=2):
    factor = factor + 1  # fixed; the re-run must see factor as it was at entry
    return x * factor


class Cart:
    def total(self, prices):
        return sum(prices)
