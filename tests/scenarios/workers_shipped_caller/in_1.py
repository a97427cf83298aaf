"""joblib ships work() and the helper it calls by value: the crash is in
helper(), the fix is in work() (in_2.py), and the user restarts work()."""

from joblib import Parallel, delayed


def helper(x, d):
    return 10 // d


def work(x):
    return helper(x, x - 3)


if __name__ == "__main__":
    print("RESULT", Parallel(n_jobs=2)(delayed(work)(x) for x in range(6)))
