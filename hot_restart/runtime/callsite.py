"""How a frame's call passed its arguments, read from the caller's call site.

Why this exists: a re-run after ``c`` must bind the arguments as plain
Python would bind the crashed call to the fixed function.  The frame only
holds the values; when the fix reorders, renames or inserts parameters, or
changes a default the call did not pass, what matters is which arguments
the call passed by position, which by name, and which it left out.

The rule: the caller's ``ast.Call`` is found as ``boundaries`` finds it (on
3.11+ the call whose position ends where the call instruction's ends; on
3.10, which has only line numbers, every call on the line is a candidate).
The shape is known only when exactly one candidate's callee, evaluated
without calling anything, statically runs the frame's code, and the call
has no ``*args`` or ``**kw``.  The implicit first argument is added: a bound
method or classmethod (self or cls), a class called for its ``__init__`` or
``__new__`` (self or cls), ``super().m(...)``, a ``functools.partial``'s own
arguments and keywords, an instance's ``__call__``.

Its limits: a caller that is C code (``map``, ``sorted(key=)``), a starred
call, a decorator's wrapper (``func(*args, **kw)``), an attribute whose
binding cannot be told without running a descriptor, several candidates on
one 3.10 line, or a frame with no Python caller: the shape is unknown (None),
and the re-run passes every parameter by position (``session``), which the
reload accepts only when that is exact anyway (``reload._check_call``).
"""

from __future__ import annotations

import functools
import sys
from types import FunctionType, MethodType, ModuleType
from typing import Any, Literal, NamedTuple

from . import boundaries, catchers

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ast
    from types import CodeType, FrameType

_MISSING: Any = catchers._MISSING


class Shape(NamedTuple):
    """A call's arguments: how many by position (the implicit first one
    included), and the names passed by keyword."""

    positional: int
    keywords: frozenset[str]


class Call(NamedTuple):
    """The arguments a re-run passes, and whether ``shape`` was read from
    the call site (None: every named parameter passed by position)."""

    args: list[Any]
    kwargs: dict[str, Any]
    shape: Shape | None


#: The shapes of the re-runs handed over, by (id(frame), id(its code)) of the
#: frame that makes the re-run call (its generated code has no ``ast.Call``).
_reruns: dict[tuple[int, int], Shape | None] = {}


def remember_rerun(frame: FrameType, shape: Shape | None) -> None:
    """``frame`` will re-run its function's call with arguments of ``shape``."""
    _reruns[(id(frame), id(frame.f_code))] = shape
    while len(_reruns) > 16:
        del _reruns[next(iter(_reruns))]


def read(frame: FrameType) -> Shape | None:
    """The shape of the call ``frame`` is running, or None when it cannot be read."""
    caller = frame.f_back
    if caller is None:
        return None
    key = (id(caller), id(caller.f_code))
    session = sys.modules.get("hot_restart.runtime.session")
    if key in _reruns and session is not None and session.is_rerunning(caller):
        return _reruns[key]  # the crashed copy calls its re-run from generated code
    try:
        calls = boundaries._candidate_calls(caller)
        found = [_shape(call, caller, frame.f_code) for call in calls]
    except Exception:  # odd source, or a bug of ours: unknown, never a guess
        return None
    direct = [s for s in found if s is not False]
    if not direct:  # a restarted frame's re-run: generated code, no call of the source
        return _reruns.get(key)
    if len(direct) != 1 or direct[0] is None:
        return None  # none is it, or several could be (3.10), or it is but not readable
    shape = direct[0]
    return shape if _fits(shape, frame.f_code) else None


def _shape(call: ast.Call, caller: FrameType, code: CodeType) -> Shape | Literal[False] | None:
    """This call's shape; False when it does not run ``code``; None when it may but its shape is unknown."""
    import ast

    expr = catchers._compile_expr(call.func, catchers._name_scope(caller.f_code))
    func, bound = _callee(expr, catchers._Resolver(caller))
    if func is _MISSING:
        if boundaries._call_name(call) != code.co_name:
            return None if _opaque(call) else False
        # ``super().m(...)``: bound, but for ``__new__`` (a staticmethod).
        if _is_super(call.func) and code.co_name != "__new__":
            implicit: tuple[int, frozenset[str]] = (1, frozenset())
        else:
            return None
    else:
        found = None if bound is None else _implicit(func, code, bound)
        if found is None:
            return None if boundaries._runs(func, code) else False
        implicit = found
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        return None
    named = frozenset(k.arg for k in call.keywords if k.arg is not None)
    return Shape(implicit[0] + len(call.args), implicit[1] | named)


def _opaque(call: ast.Call) -> bool:
    """The callee is an expression whose value we cannot name (a subscript, a call)."""
    return boundaries._call_name(call) is None


def _is_super(node: ast.expr) -> bool:
    import ast

    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "super"
    )


def _callee(expr: Any, resolver: Any) -> tuple[Any, bool | None]:
    """The callee, as ``boundaries._static_value`` finds it, and whether it is
    as the call sees it (True), or a class attribute found through an
    instance that a descriptor we do not know may bind (None)."""
    tag = expr[0]
    if tag == catchers._NAME:
        return resolver.value(expr), True
    if tag != catchers._ATTR:
        return _MISSING, True
    value = resolver.value(expr[1])
    exact: bool | None = True
    for attr in expr[2]:
        if value is _MISSING:
            return _MISSING, True
        if isinstance(value, ModuleType):
            value = value.__dict__.get(attr, _MISSING)
            exact = True
        elif isinstance(value, type):
            value = boundaries._class_attr(value, attr)
            # A plain function through its class is itself; other descriptors bind.
            exact = True if isinstance(value, (FunctionType, staticmethod, classmethod)) else None
        else:
            found = boundaries._instance_attr(value, attr)
            exact = True
            if found is _MISSING:
                found = boundaries._class_attr(type(value), attr)
                if isinstance(found, FunctionType):
                    found = MethodType(found, value)
                elif not isinstance(found, (staticmethod, classmethod)) and hasattr(
                    type(found), "__get__"
                ):
                    exact = None
            value = found
    return value, exact


def _implicit(
    obj: Any, code: CodeType, exact: bool, depth: int = 0
) -> tuple[int, frozenset[str]] | None:
    """The arguments calling ``obj`` adds before the call's own (count, keyword
    names), when calling it runs ``code`` directly; else None."""
    if depth > 4 or obj is _MISSING:
        return None
    none: frozenset[str] = frozenset()
    if isinstance(obj, FunctionType):
        return (0, none) if boundaries._runs(obj, code) else None
    if isinstance(obj, MethodType):
        inner = _implicit(obj.__func__, code, exact, depth + 1)
        return None if inner is None else (inner[0] + 1, inner[1])
    if isinstance(obj, classmethod):
        inner = _implicit(obj.__func__, code, exact, depth + 1)
        return None if inner is None else (inner[0] + 1, inner[1])
    if isinstance(obj, staticmethod):
        return _implicit(obj.__func__, code, exact, depth + 1)
    if isinstance(obj, functools.partial):
        inner = _implicit(obj.func, code, exact, depth + 1)
        if inner is None:
            return None
        return (inner[0] + len(obj.args), inner[1] | frozenset(obj.keywords))
    if isinstance(obj, type):
        if code.co_name not in ("__init__", "__new__"):
            return None  # a metaclass's __call__: its own business
        if boundaries._class_attr(type(obj), "__call__") is not type.__dict__["__call__"]:
            return None
        if not any(boundaries._runs(k.__dict__.get(code.co_name), code) for k in obj.__mro__):
            return None
        return (1, none)  # self, or cls for __new__
    wrapped = boundaries._instance_attr(obj, "__wrapped__")  # functools.lru_cache and friends
    if wrapped is not _MISSING and type(obj).__name__ == "_lru_cache_wrapper":
        return _implicit(wrapped, code, exact, depth + 1)
    call = boundaries._class_attr(type(obj), "__call__")
    if isinstance(call, FunctionType) and boundaries._runs(call, code):
        return (1, none)
    return None


def _fits(shape: Shape, code: CodeType) -> bool:
    """The shape could have been bound to ``code`` (a check against having read the wrong call)."""
    varargs = bool(code.co_flags & 0x04)
    varkw = bool(code.co_flags & 0x08)
    if shape.positional > code.co_argcount and not varargs:
        return False
    names = code.co_varnames
    start = max(shape.positional, code.co_posonlyargcount)
    by_name = set(names[start : code.co_argcount + code.co_kwonlyargcount])
    if shape.keywords & set(names[code.co_posonlyargcount : min(start, code.co_argcount)]):
        return False  # passed twice: that call would have raised TypeError
    return varkw or shape.keywords <= by_name
