import hot_restart


def produce(n):
    for i in range(n):
        yield i * 10  # fixed


def consume():
    total = 0
    for x in produce(4):
        print("got", x)
        total += x
    return total


hot_restart.wrap_module()
if __name__ == "__main__":
    print("total:", consume())
