"""Exceptions that library code catches or passes on, none of which stop:
a @contextmanager (sync and async) lets the body's exception through to the
caller's except; Enum passes on what _missing_ raises; Mapping.get and `in`
(frozen _collections_abc on 3.11+) catch a KeyError from __getitem__; a
decorator raising inside a try or a suppressing with is caught there;
iterating a class with only __getitem__ ends at its IndexError. A real
crash at the end still stops."""

import asyncio
import contextlib
import enum
from collections.abc import Mapping


@contextlib.contextmanager
def opened():
    yield "resource"


@contextlib.asynccontextmanager
async def aopened():
    yield "resource"


def guarded():
    try:
        with opened():
            raise KeyError("inside")
    except KeyError:
        return "with: handled"


async def aguarded():
    try:
        async with aopened():
            raise KeyError("inside")
    except KeyError:
        return "async with: handled"


class Settings(Mapping):
    def __init__(self, **values):
        self.values = values

    def __getitem__(self, key):
        return self.values[key]

    def __iter__(self):
        return iter(self.values)

    def __len__(self):
        return len(self.values)


class Color(enum.Enum):
    RED = 1

    @classmethod
    def _missing_(cls, value):
        raise ValueError(f"no color {value!r}")


class Pair:
    """The old sequence protocol: iteration ends at the IndexError."""

    def __init__(self, first, second):
        self.items = (first, second)

    def __getitem__(self, index):
        return self.items[index]


def register(function):
    raise ValueError(f"cannot register {function.__name__}")


def decorate_guarded():
    try:

        @register
        def handler():
            pass

    except ValueError:
        pass
    with contextlib.suppress(ValueError):

        @register
        def other():
            pass

    return "decorators: handled"


def average(total, count):
    return total / count


print(guarded())
print(asyncio.run(aguarded()))
settings = Settings(debug=True)
print("settings", settings.get("level", "info"), "level" in settings, dict(settings))
print(decorate_guarded())
first, second = Pair(1, 2)
print("pairs", first, second, list(Pair(3, 4)), [*Pair(5, 6)])
try:
    Color(5)
except ValueError as e:
    print("enum:", e)
print("average", average(10, 0))
print("done")
