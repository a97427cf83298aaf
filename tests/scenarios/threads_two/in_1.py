import sys
import threading

import hot_restart

results = {}
both_crashing = threading.Barrier(2)


def work(key, value):
    both_crashing.wait(timeout=10)
    results[key] = 10 // value  # the bug: value 0


def main():
    threads = [
        threading.Thread(target=work, args=(key, 0), name=f"Worker-{key}") for key in "ab"
    ]
    for t in threads:
        t.start()
    try:
        for t in threads:
            t.join()
    except KeyboardInterrupt:
        print("main thread interrupted", flush=True)
        for t in threads:
            t.join()
        sys.exit(3)
    print("results:", dict(sorted(results.items())))


hot_restart.wrap_module()
if __name__ == "__main__":
    main()
