"""callsite.read: how a frame's call passed its arguments, from the call site."""

from __future__ import annotations

import functools
import sys

from hot_restart.runtime.callsite import Shape, read


def seen(*_args: object, **_kwargs: object) -> Shape | None:
    return read(sys._getframe(1))


def f(a, b=1, *, c=2):
    return seen()


def g(*args, **kwargs):
    return seen()


class C:
    def __init__(self, x=0):
        self.shape = seen()

    def m(self, a, b=1):
        return seen()

    @classmethod
    def cm(cls, a, b=1):
        return seen()

    @staticmethod
    def sm(a, b=1):
        return seen()

    def __call__(self, a):
        return seen()


class D(C):
    def m(self, a, b=1):
        return super().m(a, b=b)


@functools.lru_cache
def cached(a, b=1):
    return seen()


def test_plain_calls():
    assert f(1) == Shape(1, frozenset())
    assert f(1, 2) == Shape(2, frozenset())
    assert f(b=2, a=1) == Shape(0, frozenset({"a", "b"}))
    assert f(1, c=3) == Shape(1, frozenset({"c"}))
    assert g(1, 2, x=3) == Shape(2, frozenset({"x"}))


def test_the_implicit_first_argument():
    obj = C()
    assert obj.shape == Shape(1, frozenset())  # C() runs __init__ with self
    assert C(x=2).shape == Shape(1, frozenset({"x"}))
    assert obj.m(1) == Shape(2, frozenset())
    assert C.m(obj, 1, b=2) == Shape(2, frozenset({"b"}))
    assert C.cm(1) == Shape(2, frozenset())
    assert obj.cm(1) == Shape(2, frozenset())
    assert C.sm(1, b=2) == Shape(1, frozenset({"b"}))
    assert obj(1) == Shape(2, frozenset())  # __call__
    assert D().m(1) == Shape(2, frozenset({"b"}))  # super().m(a, b=b)
    assert cached(1) == Shape(1, frozenset())


def test_partial():
    p = functools.partial(f, 1, c=3)
    assert p(b=2) == Shape(1, frozenset({"b", "c"}))
    q = functools.partial(C().m, 1)
    assert q() == Shape(2, frozenset())


def test_unknown_shapes():
    args, kwargs = (1,), {"b": 2}
    assert f(*args) is None
    assert f(1, **kwargs) is None
    assert list(map(f, [1])) == [None]  # C code calls it
    table = {"f": f}
    assert table["f"](1) is None  # a callee that cannot be named without running code
