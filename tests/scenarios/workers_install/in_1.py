"""Plain python, install() under the main guard: spawn workers inherit it."""

import multiprocessing

if __name__ == "__main__":
    import hot_restart

    hot_restart.install("helper")
    import helper

    with multiprocessing.get_context("spawn").Pool(2) as pool:
        print("RESULT", pool.map(helper.compute, range(6), chunksize=1))
