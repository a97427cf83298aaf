"""Two workers crash at the same time (items 1 and 4, held at a barrier)."""

import concurrent.futures
import multiprocessing
import sys


def init(b):
    global barrier
    barrier = b


def work(x):
    with open("log.txt", "a") as f:
        f.write(f"{x}\n")
    if x % 3 == 1:
        return 0
    return 10 // (x % 3 - 1)


def main():
    ctx = multiprocessing.get_context(sys.argv[1])
    barrier = ctx.Barrier(2)
    with concurrent.futures.ProcessPoolExecutor(
        2, mp_context=ctx, initializer=init, initargs=(barrier,)
    ) as executor:
        print("RESULT", list(executor.map(work, range(6))))


if __name__ == "__main__":
    main()
