import pickle

import hot_restart


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


def scale(p, k):
    assert k > 0, "bad k"  # the bug
    return Point(p.x * k, p.y * k)


hot_restart.wrap_module()
if __name__ == "__main__" and not hot_restart.is_restarting_module():
    q = scale(Point(1, 2), 0)
    back = pickle.loads(pickle.dumps(q))
    print("pickled:", type(back).__name__, back.x, back.y)
