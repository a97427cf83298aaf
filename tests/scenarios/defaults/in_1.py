import hot_restart


class Limiter:
    LIMIT = 3

    def check(self, n, limit=LIMIT):
        verdict = "ok" if n <= limit else "over"
        return f"{n} vs {limit}: {verdict.upper}" + 1  # the bug


hot_restart.wrap_module()

if __name__ == "__main__":
    lim = Limiter()
    print("first:", lim.check(4))
    print("later:", lim.check(4))
    print("explicit:", lim.check(4, 10))
