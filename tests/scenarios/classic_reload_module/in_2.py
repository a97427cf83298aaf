import hot_restart


def retry(times):
    """A decorator whose wrapper closes over the function it was given."""

    def decorate(func):
        def wrapper(*args):
            print("attempts:", times)
            return func(*args)

        return wrapper

    return decorate


@hot_restart.wrap
@retry(times=2)
def parse(text):
    return float(text)


if __name__ == "__main__" and not hot_restart.is_restarting_module():
    print("parsed:", parse("4.5"))
    print("again:", parse("2.5"))
