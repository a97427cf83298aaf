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
@retry(times=1)
def parse(text):
    return int(text)  # the bug: "4.5" is not an int


if __name__ == "__main__" and not hot_restart.is_restarting_module():
    print("parsed:", parse("4.5"))
    print("again:", parse("2.5"))
