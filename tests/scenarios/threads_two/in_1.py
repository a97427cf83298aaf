import sys
import threading

import hot_restart

results = {}
both_crashing = threading.Barrier(2)
finished = {key: threading.Event() for key in "ab"}


def work(key, value):
    both_crashing.wait(timeout=10)
    results[key] = 10 // value  # the bug: value 0


@hot_restart.no_wrap
def run(key):
    try:
        work(key, 0)
    finally:
        finished[key].set()


def main():
    threads = [threading.Thread(target=run, args=(key,), name=f"Worker-{key}") for key in "ab"]
    for t in threads:
        t.start()
    try:
        for t in threads:
            t.join()
    except KeyboardInterrupt:
        print("main thread interrupted", flush=True)
        # Not join() again: after a join() cut short by Ctrl-C, some CPython
        # versions let the next one return at once.
        for event in finished.values():
            event.wait()
        sys.exit(3)
    print("results:", dict(sorted(results.items())))


hot_restart.wrap_module()
if __name__ == "__main__":
    main()
