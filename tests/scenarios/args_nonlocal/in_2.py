def countdown(n):
    def step():
        nonlocal n
        n -= 1

    step()
    step()
    return 10 // (n + 1)


def main():
    print("countdown:", countdown(2))
