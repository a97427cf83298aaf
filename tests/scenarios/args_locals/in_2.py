from dataclasses import dataclass


@dataclass
class Spec:
    name: str
    size: int


def make(name, size=None):
    size = size or 1
    spec = Spec(**locals())
    return f"{spec.name}:{spec.size}"


def main():
    print("made", make("widget"))
