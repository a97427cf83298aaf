from rates import rate


def convert(amount, currency):
    factor = rate(currency)
    return round(amount * factor, 2)


if __name__ == "__main__":
    print("usd:", convert(10, "USD"))
    print("gbp:", convert(10, "GBP"))
    print("later:", convert(5, "CHF"))
