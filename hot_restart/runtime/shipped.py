"""Code an engine shipped by value: give it its file back before the prompt.

Why this exists: cloudpickle, the serializer of joblib's loky workers, dask
distributed, Ray and PySpark, ships a function defined in the main script
(or in a module given to ``register_pickle_by_value``) by value.  The
worker rebuilds its code with the file name ``"<dynamic-code>"`` (so that a
pickle does not depend on where the code was defined), in a globals dict
holding only the names the code uses, plus the ``__name__`` and
``__file__`` of its module.  Code instrumented in the parent stays
instrumented in the worker, so a crash there stops as anywhere; but with no
file to read, ``c`` could only say that ``<dynamic-code>`` does not exist.

The rule: a crashed function whose code is named ``"<dynamic-code>"``, and
whose globals' ``__file__`` is a Python file that defines it, is given its
file back before the prompt opens (``adopt``); so are the shipped functions
of its callers (``adopt_callers``), which ``up`` and ``restart`` reload.  Its def there is compiled
as a reload compiles it, and compared with the running code by behaviour
(bytecode, constants, names, flags: everything but positions):

- **the same** (the file was not edited since the program started): the
  function gets the code compiled from the file.  It runs the same, its
  lines are the file's, and the text it came from is noted, so ``c``
  reloads and compares exactly as for code the import hook loaded;
- **different** (edited since, for example fixed at another worker's
  prompt): the function keeps its running code, named with its file, and
  the crash heals first (``heal``): the def is reloaded and the call re-run
  once, saying so.  Cloudpickle ships the function again with every task,
  so each new copy of the old code heals at its first crash.

Limits:

- the file is found where the worker runs: the same machine, or a source
  folder mounted at the same path; elsewhere ``c`` says the file is missing;
- the worker's globals hold only the names the old code used.  A fix
  that uses another top-level name of the file (an import, a helper, a
  constant) gets it at the reload: the file's top-level statement that
  binds it is run in those globals (``fill``), saying so.  Other
  top-level code is never run;
- the crashed frame keeps the name ``"<dynamic-code>"`` (a frame's code
  cannot change), so a traceback shows that name; the debugger shows its
  lines (``l``, ``ll``) from the file while the prompt is open
  (``listing``), and from the re-run on, the code has its real name.
"""

from __future__ import annotations

import ast
import builtins
import linecache
import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import CodeType, FrameType, FunctionType
from typing import Any

from ..errors import ReloadException
from ..transform import is_instrumented, iter_code
from . import rebind, surrogate
from .changes import bound_names
from .messages import say

#: cloudpickle's name for the file of code it rebuilt (``_code_reduce``).
SHIPPED = "<dynamic-code>"


def home_of(frame: FrameType) -> str | None:
    """The file that ``frame``'s shipped code came from, or None if it was not shipped."""
    if frame.f_code.co_filename != SHIPPED:
        return None
    path = frame.f_globals.get("__file__")
    if not isinstance(path, str) or not path.endswith(".py"):
        return None
    path = os.path.abspath(path)
    return path if os.path.isfile(path) else None


def adopt(frame: FrameType, qualname: str) -> bool:
    """Give the function running ``frame`` its file back; True if the file's def was
    edited since the code was shipped (the crash should heal first).

    When the def cannot be compiled from the file (it is gone, the file no
    longer parses), the function keeps its code under the file's name: the
    prompt then says why at ``c``.
    """
    path = home_of(frame)
    if path is None or not is_instrumented(frame.f_code):
        return False
    fn = rebind.frame_function(frame)
    if fn is None or fn.__code__ is not frame.f_code:
        return False
    from .reload import read_lines

    _namespaces[id(frame.f_globals)] = frame.f_globals
    running = frame.f_code
    try:
        lines = read_lines(path)
        built = surrogate.build(
            lines,
            path,
            qualname,
            running.co_firstlineno,
            surrogate.future_flags(running),
            running.co_freevars,
            surrogate.shape(running),
        )
    except (ReloadException, SyntaxError, ValueError):
        rebind.swap(fn, renamed(running, path))
        return False
    if same_behaviour(built.code, running):
        rebind.swap(fn, built.code)  # the same code, with the file's name and lines
        return False
    rebind.swap(fn, renamed(running, path))  # its text is unknown: a reload takes the def whole
    return True


#: The globals dicts of shipped functions adopted here, by id (kept alive, so
#: an id is never reused): the namespaces ``fill`` completes.
_namespaces: dict[int, dict[str, Any]] = {}


def fill(
    fn: FunctionType, code: CodeType, node: ast.stmt | None, lines: list[str], filename: str
) -> None:
    """Run, in a shipped function's globals, the file's top-level statements that
    bind names its new code (and new defaults) use but the engine did not ship.

    Cloudpickle ships only the globals the old code used; a fix that calls
    ``math.floor`` of the script's ``import math``, or a helper defined
    beside it, would otherwise end in a ``NameError`` that the file
    contradicts.  Imports, defs, classes and assignments are run, as the
    reload of a module runs its new ones, in the file's order, and again for
    the names the code they define needs.
    """
    namespace = fn.__globals__
    if _namespaces.get(id(namespace)) is not namespace:
        return
    from .reload import run_statement

    wanted = _global_names(code)
    if node is not None:
        args = getattr(node, "args", None)
        for default in [*getattr(args, "defaults", ()), *getattr(args, "kw_defaults", ())]:
            if default is not None:
                wanted.update(n.id for n in ast.walk(default) if isinstance(n, ast.Name))
    missing = {name for name in wanted if name not in namespace and not _builtin(name, namespace)}
    if not missing:
        return
    statements = _top_level(lines, filename)
    ran: list[str] = []
    flags = surrogate.future_flags(code)
    progress = True
    while missing and progress:
        progress = False
        for stmt, names in statements:
            if not missing.intersection(names) or all(n in namespace for n in names):
                continue
            run_statement(stmt, filename, lines, namespace, flags)
            ran.append(f"{os.path.basename(filename)}:{stmt.lineno} ({', '.join(names)})")
            for name in names:
                value = namespace.get(name)
                inner = getattr(value, "__code__", None)
                if isinstance(inner, CodeType):  # a helper: what it uses, too
                    missing.update(_global_names(inner))
            missing = {n for n in missing if n not in namespace and not _builtin(n, namespace)}
            progress = True
    if ran:
        say(
            f"{fn.__qualname__} now uses what the engine did not ship to this process: "
            f"ran {', '.join(ran)}"
        )


def _global_names(code: CodeType) -> set[str]:
    """The global names ``code`` and the code nested in it load."""
    import dis

    return {
        str(i.argval)
        for inner in iter_code(code)
        for i in dis.get_instructions(inner)
        if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")
    }


def _builtin(name: str, namespace: dict[str, Any]) -> bool:
    found = namespace.get("__builtins__", builtins)
    return name in (found if isinstance(found, dict) else vars(found))


def _top_level(lines: list[str], filename: str) -> list[tuple[ast.stmt, list[str]]]:
    """The file's top-level statements that bind names, with those names."""
    try:
        tree = ast.parse("".join(lines), filename)
    except (SyntaxError, ValueError):
        return []
    found: list[tuple[ast.stmt, list[str]]] = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.append((stmt, [stmt.name]))
        else:
            names = bound_names(stmt)
            if names:
                found.append((stmt, names))
    return found


def adopt_callers(frame: FrameType) -> None:
    """Give the shipped functions running ``frame``'s callers their file back too:
    ``up`` and ``restart`` on one of them reloads it as any other."""
    caller = frame.f_back
    while caller is not None:
        if home_of(caller) is not None:
            fn = rebind.frame_function(caller)
            if fn is not None:
                adopt(caller, getattr(caller.f_code, "co_qualname", None) or fn.__qualname__)
        caller = caller.f_back


def renamed(code: CodeType, path: str) -> CodeType:
    """``code`` and the code nested in it, named with ``path``."""
    consts = tuple(renamed(c, path) if isinstance(c, CodeType) else c for c in code.co_consts)
    return code.replace(co_filename=path, co_consts=consts)


def same_behaviour(a: CodeType, b: CodeType) -> bool:
    """``a`` and ``b`` run alike: the same instructions on the same values.

    File name and positions (lines, columns) may differ, and so may
    constants no instruction loads (a reload's ``if 0:`` leaves one on 3.11).
    """
    return _behaviour(a) == _behaviour(b)


def _behaviour(code: CodeType) -> tuple[object, ...]:
    import dis

    steps = tuple(
        (i.opname, _key(i.argval) if i.opcode in dis.hasconst else i.argval)
        for i in dis.get_instructions(code)
    )
    return (
        steps,
        code.co_varnames,
        code.co_freevars,
        code.co_cellvars,
        code.co_flags,
        code.co_argcount,
        code.co_posonlyargcount,
        code.co_kwonlyargcount,
        code.co_name,
        getattr(code, "co_exceptiontable", None),
    )


def _key(value: object) -> object:
    """A constant, compared by type and value (``1`` is not ``True``; nested code by behaviour)."""
    if isinstance(value, CodeType):
        return ("code", _behaviour(value))
    if isinstance(value, tuple):
        return ("tuple", tuple(map(_key, value)))
    if isinstance(value, frozenset):
        return ("frozenset", frozenset(map(_key, value)))
    if isinstance(value, (float, complex)):
        return (type(value).__name__, repr(value))  # nan is not equal to itself
    return (type(value).__name__, value)


@contextmanager
def listing(frame: FrameType) -> Iterator[None]:
    """While the prompt is open, the debugger lists a shipped frame's lines from its file."""
    path = home_of(frame)
    if path is None:
        yield
        return
    before = linecache.cache.get(SHIPPED)
    lines = linecache.getlines(path)
    # No modification time: linecache.checkcache keeps an entry it cannot stat.
    linecache.cache[SHIPPED] = (sum(map(len, lines)), None, lines, path)
    try:
        yield
    finally:
        if before is None:
            linecache.cache.pop(SHIPPED, None)
        else:
            linecache.cache[SHIPPED] = before
