def to_int(token):
    return int(token)  # raises ValueError on words: handled by the caller


def parse(text):
    numbers = []
    for token in text.split():
        try:
            numbers.append(to_int(token))
        except ValueError:
            continue
    return numbers


def get(table, key):
    return table[key]


def lookups(keys):
    table = {"a": 1, "b": 2}
    found = 0
    for key in keys:
        try:
            found += get(table, key)
        except (KeyError, IndexError):
            pass
    return found
