# Three lines were added at the top of the file
# while the program was stopped in the debugger,
# so outer() and inner() have moved down by three.
import hot_restart


def outer(factor):
    offset = 100

    @hot_restart.wrap
    def inner(x):
        return x * factor  # fixed: still uses the same outer variable

    print("offset is", offset)
    return inner(3)


if __name__ == "__main__":
    print("first:", outer(2))
    print("second:", outer(5))
