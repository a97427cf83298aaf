"""Between a frame and its caller: a plain call, or C code that swallows?

Why this exists: ``frame.f_back`` skips C code.  A property called by
``hasattr(obj, "total")`` has the frame that called ``hasattr`` as its
``f_back``, and reading that frame's ``try`` statements says nothing about
``hasattr`` swallowing the AttributeError.  So, for the exception kinds that
CPython's C code swallows (AttributeError, TypeError, LookupError; see
``catchers._C_SWALLOWS``), each step from a callee up to its caller is read
too, from the instruction the caller is suspended at:

* a call whose callee is the function running in the callee frame (or a
  class whose ``__init__``/``__new__`` it is, a ``functools.partial`` or
  cache of it, an instance whose ``__call__`` it is): DIRECT, nothing between;
* ``hasattr(...)`` and ``getattr(obj, name, default)`` swallow an
  AttributeError, and so do ``isinstance``/``issubclass``, pickle and the
  ABC set-up when it comes from a ``__getattr__`` or ``__getattribute__``
  (optional attributes they look up: ``__bases__``, ``__setstate__``,
  ``__isabstractmethod__``); so does the attribute protocol (an attribute read, or
  two-argument ``getattr``) when the instance's class has ``__getattr__``:
  SWALLOWS, which makes the caller the catcher;
* ``import m`` / ``from m import x`` reading a module's attributes through
  its ``__getattr__`` (PEP 562): IMPORT_NAME swallows an AttributeError
  (its ``__path__`` lookup: is it a package?); IMPORT_FROM turns it into an
  ImportError in the caller (BECOMES_IMPORT_ERROR): whether the caller
  catches that decides;
* ``__length_hint__`` reached through C code: its TypeError is swallowed;
  ``__getitem__`` reached by iteration (a ``for`` loop, ``a, b = seq``,
  ``[*seq]``, ``f(*seq)``, ``list(seq)``, ...): its IndexError ends it;
* builtins known to let every exception through (``sorted``, ``map``,
  ``min``, ``list.sort``, ...): DIRECT;
* on 3.10 several calls on the caller's line are candidates; one that
  swallows wins, then one that is DIRECT;
* any other callable (a C function we know nothing about, or a call whose
  callee cannot be read without running code): UNKNOWN.  The caller's
  decision then moves up, to where the exception reappears.
* any other instruction (an operator, a subscript, ``with``): the slots
  behind it let every exception through: DIRECT.

The callee of a call is read from source: the ``ast.Call`` that ends where
the call instruction's position ends (3.11+; on 3.10, which has only line
numbers, every call on the caller's line is a candidate), its function
evaluated without calling anything (names, then attributes looked up in
``__dict__``s, never through descriptors).  Verdicts that depended only on
globals and builtins are cached per (caller code, offset, callee code, type).
This module is imported only when such an exception crosses frames.
"""

from __future__ import annotations

import builtins
import functools
import sys
from types import BuiltinFunctionType, CodeType, FunctionType, MethodType, ModuleType

from . import catchers

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ast
    from types import FrameType
    from typing import Any, Literal

DIRECT = 0
SWALLOWS = 1
UNKNOWN = 2
_PASSES = 3  # a builtin that lets every exception through: direct, unless another call says more
_ELSEWHERE = 4  # Python code that does not run the callee: not the call it came through
BECOMES_IMPORT_ERROR = 5  # ``from m import x``: the caller gets an ImportError instead

_MISSING: Any = catchers._MISSING

# (id(caller code), caller offset, id(callee code), type) -> (caller code, callee code, verdict)
_steps: dict[tuple[int, int, int, type], tuple[CodeType, CodeType, int]] = {}
# id(code) -> (code, calls): by end position (3.11+) or a list of every call (3.10)
_calls: dict[int, tuple[CodeType, Any]] = {}
_positions: dict[int, tuple[CodeType, list[Any]]] = {}

_COLUMNS = sys.version_info >= (3, 11)


def _lets_through() -> tuple[object, ...]:
    """C callables that call Python code and let every exception through."""
    names = (
        *("sorted", "min", "max", "map", "filter", "sum", "any", "all", "enumerate", "zip"),
        *("iter", "next", "reversed", "print", "repr", "str", "format", "len", "hash"),
    )
    found: list[object] = [getattr(builtins, n) for n in names]
    found += [list.sort, functools.reduce]
    # Lookups that call ``__hash__``/``__eq__`` and let what they raise through.
    found += [dict.get, dict.setdefault, dict.pop, list.index, list.count, list.remove]
    found += [set.add, set.discard, set.remove]
    return tuple(found)


_LETS_THROUGH = _lets_through()


def clear_cache() -> None:
    _steps.clear()
    _calls.clear()
    _positions.clear()


def step(caller: FrameType, callee: FrameType, exc: BaseException) -> int:
    """DIRECT, SWALLOWS or UNKNOWN for the exception going from callee to caller."""
    session = sys.modules.get("hot_restart.runtime.session")
    if session is not None and session.is_rerunning(caller):
        return DIRECT  # the crashed copy's re-run statement calls the function itself
    code, callee_code = caller.f_code, callee.f_code
    key = (id(code), caller.f_lasti, id(callee_code), type(exc))
    found = _steps.get(key)
    if found is not None and found[0] is code and found[1] is callee_code:
        return found[2]
    try:
        verdict, stable = _read(caller, callee, type(exc))
    except Exception:  # a bug of ours, or odd source: the old behaviour
        return DIRECT
    if stable:
        _steps[key] = (code, callee_code, verdict)
    return verdict


def cached(caller: FrameType, callee: FrameType, exc: BaseException) -> bool:
    """The verdict for this step depended on nothing but the code and globals."""
    key = (id(caller.f_code), caller.f_lasti, id(callee.f_code), type(exc))
    return key in _steps


def _opname(frame: FrameType) -> str:
    import opcode

    code = frame.f_code.co_code  # the unspecialised, uninstrumented bytecode
    lasti = frame.f_lasti
    return opcode.opname[code[lasti]] if 0 <= lasti < len(code) else ""


def dispatcher_code() -> CodeType | None:
    """The code of ``functools.singledispatch``'s wrapper: Python code that calls
    the registered implementation and lets everything through, through a call
    no source reading resolves (``dispatch(args[0].__class__)(*args, **kw)``).
    A crash in an implementation is re-run through it (``session.rerun_call``),
    so that a registration the fix added is dispatched to."""
    global _DISPATCHER
    if _DISPATCHER is None:
        try:
            wrapper: Any = functools.singledispatch(lambda x: x)
            _DISPATCHER = wrapper.__code__
        except Exception:  # another functools: no shortcut
            _DISPATCHER = False
    return _DISPATCHER or None


_DISPATCHER: CodeType | Literal[False] | None = None

#: Instructions that iterate an object in C: over a class with only
#: ``__getitem__`` (the old protocol) an IndexError ends the iteration.
_ITERATING = ("FOR_ITER", "UNPACK_SEQUENCE", "UNPACK_EX", "LIST_EXTEND", "SET_UPDATE")
#: Builtins that iterate their argument to its end.
_ITERATE: tuple[object, ...] = (
    *(list, tuple, set, frozenset, dict, sorted, sum, min, max, any, all),
    *(enumerate, zip, map, filter, reversed, bytes, bytearray, str.join),
)

#: What a failing attribute lookup runs (see _probes_attributes).
_LOOKUPS = ("__getattr__", "__getattribute__")


#: Optional attributes that C code looks up, taking an AttributeError for
#: "not there": whatever the instruction, a ``__getattr__`` asked for one of
#: these by C code is answered for such a lookup (io asks a wrapped raw
#: stream for ``readall`` and, as it is freed, ``_dealloc_warn``; pickle,
#: copy and the ABC set-up ask for the others).
_PROBED = frozenset(
    {
        "_dealloc_warn",
        "readall",
        "__reduce_ex__",
        "__reduce__",
        "__getstate__",
        "__setstate__",
        "__getnewargs_ex__",
        "__getnewargs__",
        "__isabstractmethod__",
        "__length_hint__",
        "__bases__",
        "__path__",
    }
)


def _asked_for(callee: FrameType) -> object:
    """The attribute name a ``__getattr__``/``__getattribute__`` frame was asked
    for: its last positional parameter (``self, name`` or a module's ``name``)."""
    code = callee.f_code
    if code.co_argcount == 0:
        return None
    return callee.f_locals.get(code.co_varnames[code.co_argcount - 1])


def _probes_attributes() -> tuple[object, ...]:
    """C functions that look up optional attributes and take an AttributeError
    for "not there": isinstance/issubclass (``__class__``, ``__bases__``),
    pickle (``__reduce_ex__``, ``__getstate__``, ``__setstate__``), and the
    ABC set-up (``__isabstractmethod__`` of each attribute of a new class)."""
    found: list[object] = [builtins.isinstance, builtins.issubclass]
    for module, names in (
        ("_pickle", ("dumps", "loads", "dump", "load")),
        ("_abc", ("_abc_init",)),
    ):
        loaded = sys.modules.get(module)
        found += [getattr(loaded, name) for name in names if hasattr(loaded, name)]
    return tuple(found)


#: The import statement's instructions: C code that reads a module's attributes
#: (a module ``__getattr__``, PEP 562, is Python code called from there).
_IMPORTS = ("IMPORT_NAME", "IMPORT_FROM")


def _read(caller: FrameType, callee: FrameType, cls: type) -> tuple[int, bool]:
    if caller.f_code is dispatcher_code():
        return DIRECT, True  # a singledispatch function called its implementation
    name = callee.f_code.co_name
    if name in ("__exit__", "__aexit__"):
        # The ``with`` statement's own call (its position is the statement's,
        # no ``ast.Call`` ends there): what ``__exit__`` raises goes straight
        # on.  Whether it swallows what the body raised is the caller's
        # ``with`` region's question (catchers), not this step's.
        return DIRECT, True
    if name in _LOOKUPS and issubclass(cls, AttributeError) and _asked_for(callee) in _PROBED:
        return SWALLOWS, False  # C code looking for an optional attribute: "not there"
    op = _opname(caller)
    if op.startswith(("CALL", "PRECALL")):
        return _read_call(caller, callee, cls)
    if op in ("LOAD_ATTR", "LOAD_METHOD", "LOAD_SUPER_ATTR"):
        if issubclass(cls, AttributeError) and name != "__getattr__":
            return (SWALLOWS if _falls_back(callee) else DIRECT), False
        return DIRECT, True
    if op in _IMPORTS and name in ("__getattr__", "__getattribute__"):
        if issubclass(cls, AttributeError):
            # IMPORT_NAME asks a module for ``__path__`` (a package?) and
            # ``__spec__``, and takes an AttributeError for "no"; IMPORT_FROM
            # turns it into an ImportError ("cannot import name") raised in
            # the caller: its handlers for that decide.
            return (SWALLOWS if op == "IMPORT_NAME" else BECOMES_IMPORT_ERROR), True
        return DIRECT, True
    if op in _ITERATING and name == "__getitem__" and issubclass(cls, IndexError):
        return SWALLOWS, True  # the old iteration protocol: IndexError ends it
    if name == "__length_hint__" and issubclass(cls, TypeError):
        return SWALLOWS, True  # ``[*obj]``, ``f(*obj)``: a length hint
    return DIRECT, True


def _read_call(caller: FrameType, callee: FrameType, cls: type) -> tuple[int, bool]:
    code = callee.f_code
    resolver = catchers._Resolver(caller)
    verdicts = []
    instance_dependent: list[bool] = []
    for call in _candidate_calls(caller):
        func = _static_value(
            catchers._compile_expr(call.func, catchers._name_scope(caller.f_code)), resolver
        )
        verdicts.append(_call_verdict(call, func, code, callee, cls, instance_dependent))
    stable = resolver.cacheable and not instance_dependent
    if not verdicts:
        return UNKNOWN, stable
    # One candidate on 3.11+.  On 3.10, several calls on one line: one that
    # runs the callee's code is the one; else a swallowing call among them
    # (``print(hasattr(o, "x"))``), since the crash would reach it first;
    # else one that may swallow (``print(list(seq))``: the ``list``); only
    # builtins that let everything through leave the step direct.
    # Python code that does not run it (``User(n)`` in ``print(User(n))``
    # when ``__str__`` raised) is not the way: it would be a frame between.
    for verdict in (DIRECT, SWALLOWS, UNKNOWN, _PASSES):
        if verdict in verdicts:
            return (DIRECT if verdict == _PASSES else verdict), stable
    return UNKNOWN, stable  # _ELSEWHERE only


def _call_verdict(
    call: ast.Call, func: Any, code: CodeType, callee: FrameType, cls: type, unstable: list[bool]
) -> int:
    name = code.co_name
    if func is _MISSING:
        if _call_name(call) == name:
            return DIRECT  # ``super().__init__(...)``, ``self.handlers[k].run(...)``
    elif _runs(func, code):
        return DIRECT
    if issubclass(cls, AttributeError):
        if func is builtins.hasattr:
            return SWALLOWS
        if name in _LOOKUPS and any(func is f for f in _probes_attributes()):
            return SWALLOWS  # an optional attribute they look up: missing means "no"
        if func is builtins.getattr:
            if len(call.args) >= 3 or _has_star(call):
                return SWALLOWS
            unstable.append(True)
            return SWALLOWS if _falls_back(callee) else DIRECT
    if name == "__length_hint__" and issubclass(cls, TypeError):
        return SWALLOWS
    if name == "__getitem__" and issubclass(cls, IndexError):
        if _has_star(call) or (func is not _MISSING and any(func is f for f in _ITERATE)):
            return SWALLOWS  # ``list(seq)``, ``f(*seq)``: the iteration ends there
    if func is not _MISSING and any(func is known for known in _LETS_THROUGH):
        return _PASSES
    if func is builtins.getattr or func is builtins.hasattr:
        return _PASSES  # they swallow only an AttributeError (above)
    if _python_only(func):
        return _ELSEWHERE
    return UNKNOWN


def _python_only(func: Any) -> bool:
    """Calling ``func`` runs Python code, or object's own C ``__init__``/``__new__``
    only: an exception from elsewhere would have its frame between."""
    if isinstance(func, (FunctionType, MethodType)):
        return True
    if isinstance(func, type) and type(func) is type:
        for name in ("__init__", "__new__"):
            found = _class_attr(func, name)
            if not isinstance(found, (FunctionType, staticmethod)) and found not in (
                object.__init__,
                object.__new__,
            ):
                return False
        return True
    return False


def _call_name(call: ast.Call) -> str | None:
    import ast

    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _has_star(call: ast.Call) -> bool:
    import ast

    return any(isinstance(a, ast.Starred) for a in call.args)


def _runs(obj: Any, code: CodeType, depth: int = 0) -> bool:
    """Calling ``obj`` enters ``code`` with nothing but C code that lets exceptions through."""
    if depth > 4 or obj is _MISSING:
        return False
    if isinstance(obj, FunctionType):
        return obj.__code__ is code or _replaced_in(obj, code)
    if isinstance(obj, (MethodType, staticmethod, classmethod)):
        return _runs(obj.__func__, code, depth + 1)
    if isinstance(obj, functools.partial):
        return _runs(obj.func, code, depth + 1)
    if isinstance(obj, (BuiltinFunctionType, ModuleType)):
        return False
    if isinstance(obj, type):
        if code.co_name in ("__init__", "__new__"):
            return any(_runs(k.__dict__.get(code.co_name), code, depth + 1) for k in obj.__mro__)
        return _runs(_class_attr(type(obj), "__call__"), code, depth + 1)
    wrapped = _instance_attr(obj, "__wrapped__")  # functools.lru_cache and friends
    if wrapped is not _MISSING and _runs(wrapped, code, depth + 1):
        return True
    return _runs(_class_attr(type(obj), "__call__"), code, depth + 1)


def _replaced_in(fn: FunctionType, code: CodeType) -> bool:
    """``code`` is an older version of what ``fn`` (or a sibling closure) runs now:
    the frame started before a reload gave ``fn`` new code, or moved it."""
    from . import registry

    superseded = vars(registry).get("superseded")  # created by the first swap
    newer = superseded.get(code) if superseded is not None else None
    return newer is not None and (newer is fn or newer.__code__ is fn.__code__)


def _falls_back(callee: FrameType) -> bool:
    """The attribute protocol will call ``__getattr__`` after this AttributeError.

    The callee is a property getter or ``__getattribute__`` (first argument:
    the instance) or a descriptor's ``__get__`` (second argument).
    """
    code = callee.f_code
    index = 1 if code.co_name == "__get__" else 0
    if code.co_argcount <= index:
        return False  # not an attribute getter: the protocol did not call it
    instance = callee.f_locals.get(code.co_varnames[index], _MISSING)
    if instance is _MISSING:
        return True
    return _class_attr(type(instance), "__getattr__") is not _MISSING


def _class_attr(cls: type, name: str) -> Any:
    for klass in cls.__mro__:
        value = klass.__dict__.get(name, _MISSING)
        if value is not _MISSING:
            return value
    return _MISSING


def _instance_attr(obj: Any, name: str) -> Any:
    try:
        namespace = object.__getattribute__(obj, "__dict__")
    except Exception:
        return _MISSING
    return namespace.get(name, _MISSING) if isinstance(namespace, dict) else _MISSING


def _static_value(expr: Any, resolver: Any) -> Any:
    """A name, or attributes of one found in ``__dict__``s: no code runs."""
    tag = expr[0]
    if tag == catchers._NAME:
        return resolver.value(expr)
    if tag != catchers._ATTR:
        return _MISSING
    value = resolver.value(expr[1])
    for attr in expr[2]:
        if value is _MISSING:
            return _MISSING
        if isinstance(value, ModuleType):
            value = value.__dict__.get(attr, _MISSING)
        elif isinstance(value, type):
            value = _class_attr(value, attr)
        else:
            found = _instance_attr(value, attr)
            if found is _MISSING:
                found = _class_attr(type(value), attr)
                if isinstance(found, FunctionType):
                    found = MethodType(found, value)
            value = found
    return value


def _candidate_calls(caller: FrameType) -> list[ast.Call]:
    """The call the caller is making: by end position, or every call on its line (3.10)."""
    code = caller.f_code
    entry = _calls.get(id(code))
    if entry is None or entry[0] is not code:
        entry = (code, _index_calls(code, caller.f_globals))
        _calls[id(code)] = entry
    calls = entry[1]
    if _COLUMNS:
        position = _position(code, caller.f_lasti)
        if position is None:
            return []
        found = calls.get((position[1], position[3]))
        return [found] if found is not None else []
    line = caller.f_lineno
    found = [c for c in calls if c.lineno <= line <= (c.end_lineno or c.lineno)]
    # The call instruction's argument count narrows them down.
    op = _opname(caller)
    oparg = code.co_code[caller.f_lasti + 1]
    if op in ("CALL_FUNCTION", "CALL_METHOD"):
        same = [c for c in found if not c.keywords and len(c.args) == oparg and not _has_star(c)]
    elif op == "CALL_FUNCTION_KW":
        same = [c for c in found if len(c.args) + len(c.keywords) == oparg]
    else:
        same = found
    return same or found


def _position(code: CodeType, lasti: int) -> Any:
    entry = _positions.get(id(code))
    if entry is None or entry[0] is not code:
        entry = (code, list(code.co_positions()))  # type: ignore[attr-defined,unused-ignore]
        _positions[id(code)] = entry
    index = lasti // 2
    return entry[1][index] if index < len(entry[1]) else None


def _index_calls(code: CodeType, module_globals: dict[str, Any]) -> Any:
    import ast

    lines = catchers._lines(code, module_globals)
    if not lines:
        return {} if _COLUMNS else []
    node: ast.AST | None = None
    if code.co_flags & catchers._CO_OPTIMIZED and not code.co_name.startswith("<"):
        node = catchers._find_definition(code, lines)
    if node is None:
        node = catchers._parse_whole_file(code.co_filename, lines)
    if _COLUMNS:  # end positions are unique: every call in the file will do
        calls = (n for n in ast.walk(node) if isinstance(n, ast.Call))
        return {(c.end_lineno, c.end_col_offset): c for c in calls}
    # 3.10 matches by line: only the calls this code object makes.
    inner = _SCOPES.get(code.co_name)
    if inner is None:
        return list(_walk(node, _nested_scopes()))
    roots = [
        n
        for n in ast.walk(node)
        if isinstance(n, getattr(ast, inner)) and n.lineno == code.co_firstlineno
    ]
    return [c for root in roots for c in _walk(root, _nested_scopes(), root)]


_SCOPES = {
    "<listcomp>": "ListComp",
    "<setcomp>": "SetComp",
    "<dictcomp>": "DictComp",
    "<genexpr>": "GeneratorExp",
    "<lambda>": "Lambda",
}


def _nested_scopes() -> tuple[type, ...]:
    import ast

    return (
        ast.FunctionDef,
        ast.AsyncFunctionDef,
        ast.ClassDef,
        ast.Lambda,
        ast.ListComp,
        ast.SetComp,
        ast.DictComp,
        ast.GeneratorExp,
    )


def _walk(node: ast.AST, stop_at: tuple[type, ...], root: ast.AST | None = None) -> Any:
    """The calls under ``node``, not entering ``stop_at`` nodes (other scopes)."""
    import ast

    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Call):
            yield current
        for child in ast.iter_child_nodes(current):
            if isinstance(child, stop_at) and child is not root:
                continue
            stack.append(child)
