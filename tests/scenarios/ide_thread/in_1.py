import threading


def inner(x):
    return 10 // (x - 2)  # the bug


def work(out):
    out.append(inner(2))


if __name__ == "__main__":
    out = []
    t = threading.Thread(target=work, args=(out,), name="worker")
    t.start()
    t.join()
    print("result:", out)
