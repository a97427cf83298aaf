RATES = {"EUR": 1.0, "USD": 1.1}


def rate(currency):
    return RATES.get(currency)  # the bug: unknown currencies give None
