import threading

import hot_restart

results = {}


def work(key, value):
    results[key] = 1 / (value + 1)  # fixed


def main():
    t = threading.Thread(target=work, args=("a", 0), name="Worker-1")
    t.start()
    t.join()
    print("results:", results)


hot_restart.wrap_module()
if __name__ == "__main__":
    main()
