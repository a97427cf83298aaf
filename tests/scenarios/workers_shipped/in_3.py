"""joblib (loky) or dask distributed maps work() over worker processes.

work() is defined in the main script, so both ship it to the workers by
value with cloudpickle: there its code's file is "<dynamic-code>".  Items
whose x % 6 is 3 divide by zero.  in_3.py fixes it with a name work() did
not use before (math) and two new ones (LIMIT, fallback).
"""

import math  # not used by work() yet: the engine does not ship it
import sys


LIMIT = 10


def fallback(x):
    return x - x


def work(x):
    with open("log.txt", "a") as f:
        f.write(f"{x}\n")
    d = x % 6 - 3
    return math.floor(LIMIT / d) if d else fallback(x)


def main():
    how, count = sys.argv[1], int(sys.argv[2])
    if how == "joblib":
        from joblib import Parallel, delayed

        print("RESULT", Parallel(n_jobs=2, batch_size=1)(delayed(work)(x) for x in range(count)))
        return
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        processes=True,
        n_workers=2,
        threads_per_worker=1,
        dashboard_address=None,
        host="127.0.0.1",
    )
    try:
        with Client(cluster) as client:
            print("RESULT", client.gather(client.map(work, range(count))), flush=True)
    finally:
        cluster.close()


if __name__ == "__main__":
    main()
