import threading

from mylib.core import inverse, ratio


def test_caught_by_the_test_itself():
    try:
        inverse(0)
    except ZeroDivisionError:
        pass


def test_crash_in_a_thread_the_test_started():
    results = []
    worker = threading.Thread(target=lambda: results.append(ratio(2)), name="worker")
    worker.start()
    worker.join()
    assert results == [2]
