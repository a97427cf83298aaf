class Scaler:
    def ratio(self, __x):
        __x = __x * 2
        return 12 // (__x - 3)


def main():
    print("ratio:", Scaler().ratio(2))
