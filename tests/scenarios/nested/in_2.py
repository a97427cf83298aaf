import hot_restart

log = []


def a(x):
    log.append("a")
    return "a(" + b(x + 1) + ")"


def b(x):
    log.append("b")
    return "b(" + c(x * 2) + ")"


def c(x):
    log.append("c")
    return "c" + str(x)  # fixed


hot_restart.wrap_module()

if __name__ == "__main__":
    print("result:", a(1))
    print("log:", log)
