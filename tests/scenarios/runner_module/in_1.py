from .prices import total


def receipt(items):
    lines = [f"{name}: {price:.2f}" for name, price in items]
    lines.append(f"total: {total(items):.2f}")
    return "\n".join(lines)


def main():
    print(receipt([("tea", 2.5), ("cake", 3.0)]))
    print("count:", count_items([("tea", 2.5)]))


def count_items(items):
    return items.size  # the bug: a list has no size


if __name__ == "__main__":
    main()
