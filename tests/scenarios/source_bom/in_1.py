def greet(name):
    return "héllo " + name + 1  # the bug


import hot_restart

hot_restart.wrap_module()

if __name__ == "__main__":
    print("greet:", greet("wörld"))
