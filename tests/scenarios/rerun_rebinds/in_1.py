def scale(n):
    n = n * 2  # rebinds its parameter: a restart needs n as it was at entry
    return 10 // (n - 6)  # the bug: n is 6


def main():
    print("result:", scale(3))


if __name__ == "__main__":
    main()
