import hot_restart

hot_restart.RELOAD_ON_CONTINUE = False  # 0.2.x's manual workflow: reload_module() at the prompt


class Greeter:
    def greet(self, name):
        return "hi " + name


hot_restart.wrap_module()
if __name__ == "__main__" and not hot_restart.is_restarting_module():
    g = Greeter()
    print(g.greet("ann"))
