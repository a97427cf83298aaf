# -*- coding: latin-1 -*-
import hot_restart


def greet(name):
    return "héllo " + name  # fixed


hot_restart.wrap_module()

if __name__ == "__main__":
    print("greet:", greet("wörld"))
