import hot_restart


class Box:
    def __init__(self):
        self._v = 0

    @property
    def value(self):
        return self._v

    @value.setter
    def value(self, v):
        self._v = v * 10  # fixed


hot_restart.wrap_module()

if __name__ == "__main__":
    box = Box()
    box.value = 5
    print("value:", box.value)
    box.value = 7
    print("value:", box.value)
