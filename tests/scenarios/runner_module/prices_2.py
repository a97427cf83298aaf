def total(items):
    return sum(price for _name, price in items)  # fixed
