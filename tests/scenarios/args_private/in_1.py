class Scaler:
    def ratio(self, __x):
        __x = __x * 2
        return 12 // (__x - 4)  # the bug: x=2 doubles to 4


def main():
    print("ratio:", Scaler().ratio(2))
