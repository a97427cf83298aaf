"""A pool maps work() over six items; item 3 divides by zero in a worker."""

import concurrent.futures
import multiprocessing
import sys


def work(x):
    with open("log.txt", "a") as f:
        f.write(f"{x}\n")
    return 10 // (x - 3) if x != 3 else 0


def main():
    how = sys.argv[1]
    if how == "executor":
        with concurrent.futures.ProcessPoolExecutor(2) as executor:
            print("RESULT", list(executor.map(work, range(6))))
        return
    with multiprocessing.get_context(how).Pool(2) as pool:
        print("RESULT", pool.map(work, range(6), chunksize=1))


if __name__ == "__main__":
    main()
