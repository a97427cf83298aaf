def greet(name):
    return "héllo " + name  # fixed


import hot_restart

hot_restart.wrap_module()

if __name__ == "__main__":
    print("greet:", greet("wörld"))
