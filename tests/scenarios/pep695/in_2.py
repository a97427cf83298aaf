import hot_restart

type Pair[T] = tuple[T, T]


class Box[T]:
    def __init__(self, item: T) -> None:
        self.item = item

    def doubled(self) -> Pair[T]:
        return (self.item, self.item * 2)  # fixed

    def kind(self) -> T:
        type Local[U] = list[U]
        return T.__name__ + str(len(self.item)) + Local.__name__  # fixed


def first[T](items: list[T]) -> T:
    return items[0] * 10  # fixed


hot_restart.wrap_module()

if __name__ == "__main__":
    print("doubled:", Box(21).doubled())
    print("first:", first([7, 8]))
    print("kind:", Box("abc").kind())
    print("alias:", Pair.__value__)
