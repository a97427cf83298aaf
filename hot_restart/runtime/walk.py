"""Find the functions a module defines, through classes and decorators."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from types import FunctionType
from typing import Any

NO_WRAP_ATTR = "_hot_restart_no_wrap"
_UNWRAP = ("__func__", "fget", "fset", "fdel", "__wrapped__")


def underlying_functions(value: Any, _depth: int = 0) -> Iterator[FunctionType]:
    """Plain functions under a staticmethod, classmethod, property or wrapper."""
    if _depth > 10 or getattr(value, NO_WRAP_ATTR, False):
        return
    if isinstance(value, FunctionType):
        yield value
    for attr in _UNWRAP:
        try:
            inner = getattr(value, attr, None)
        except Exception:
            continue
        if inner is not None and inner is not value and not isinstance(inner, type):
            yield from underlying_functions(inner, _depth + 1)


def functions_of_class(
    cls: type, filename: str, _seen: set[int] | None = None
) -> Iterator[FunctionType]:
    seen = _seen if _seen is not None else set()
    if id(cls) in seen or getattr(cls, NO_WRAP_ATTR, False):
        return
    seen.add(id(cls))
    for value in list(vars(cls).values()):
        if isinstance(value, type):
            if value.__module__ == cls.__module__:
                yield from functions_of_class(value, filename, seen)
            continue
        for fn in underlying_functions(value):
            if fn.__code__.co_filename == filename:
                yield fn


def functions_of_namespace(
    namespace: dict[str, Any], module_name: str, filename: str
) -> Iterator[FunctionType]:
    seen: set[int] = set()
    for value in list(namespace.values()):
        if isinstance(value, type):
            if value.__module__ == module_name:
                yield from functions_of_class(value, filename, seen)
            continue
        for fn in underlying_functions(value):
            if fn.__code__.co_filename == filename and id(fn) not in seen:
                seen.add(id(fn))
                yield fn


def functions_of_modules(names: Iterable[str]) -> Iterator[FunctionType]:
    for name in list(names):
        module = sys.modules.get(name)
        filename = getattr(module, "__file__", None)
        if module is not None and filename:
            yield from functions_of_namespace(vars(module), name, filename)
