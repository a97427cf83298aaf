"""A fork pool starts a fresh worker for every task, each a copy of the parent's old code."""

import multiprocessing


def work(x):
    with open("log.txt", "a") as f:
        f.write(f"{x}\n")
    return 10 // (x % 3 - 1)


def main():
    with multiprocessing.get_context("fork").Pool(1, maxtasksperchild=1) as pool:
        print("RESULT", pool.map(work, range(6), chunksize=1))


if __name__ == "__main__":
    main()
