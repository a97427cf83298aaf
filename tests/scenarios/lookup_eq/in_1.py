"""dict.get and the other lookups let what __eq__ raises through: a crash there
stops in __eq__, and `c` re-runs it, not the caller."""

class K:
    def __init__(self, v):
        self.v = v

    def __hash__(self):
        return 1

    def __eq__(self, o):
        return self.v.lower() == o.v.lower()


def main():
    d = {K("A"): 1}
    for v in ["a", 3]:
        k = K(v)
        print(v, d.get(k, "missing"), k in d)
    print("done")


main()
