import hot_restart

hot_restart.install(["myapp.*"])

from myapp.core import Cart, scale  # noqa: E402  (taken before the crash)

callbacks = [scale]
cart = Cart()
bound = cart.total

if __name__ == "__main__":
    print("scale:", scale(4, factor=3))
    print("later via callback:", callbacks[0](5, factor=2))
    print("total:", bound([1, 2, 3]))
