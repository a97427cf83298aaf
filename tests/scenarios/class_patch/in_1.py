import hot_restart


class Counter:
    def __init__(self):
        self.n = 0

    def bump(self):
        self.n += 1
        return self.n / 0  # the bug; the fix delegates to a new method


hot_restart.wrap_module()

if __name__ == "__main__":
    Original = Counter
    early = Counter()  # created before the crash
    print("identity before:", type(early) is Counter)
    late = Counter()
    print("bump:", late.bump())
    print("identity after:", type(late) is Counter, Counter is Original, type(early) is Counter)
    print("early uses new method:", early.describe())
    print("new method on class:", "describe" in vars(Counter))
