"""Reload one function (or every edited one) from the files on disk."""

from __future__ import annotations

import linecache
import os
from types import CodeType, FunctionType
from typing import Any

from ..errors import ReloadException
from ..transform import iter_code
from . import classes, locate, rebind, registry, shift, surrogate
from .locate import scope_path
from .walk import underlying_functions


def read_lines(filename: str) -> list[str]:
    """The file as it is now, decoded exactly as ``importlib`` decodes it.

    The coding cookie or a UTF-8 BOM decides the encoding (a latin-1 file is
    not UTF-8), and lines are split only at newlines, as the compiler counts
    them.  The debugger's line cache gets the same lines, with the file's
    byte size, so that ``linecache.checkcache`` keeps them.
    """
    from importlib.util import decode_source

    try:
        with open(filename, "rb") as f:
            st = os.fstat(f.fileno())
            data = f.read()
        text = decode_source(data)
    except FileNotFoundError:
        raise ReloadException(
            f"{filename} no longer exists; restore it, or `q` to let the exception propagate"
        ) from None
    except (OSError, SyntaxError, UnicodeDecodeError, LookupError) as e:
        raise ReloadException(
            f"cannot read {filename} ({e.__class__.__name__}: {e}); fix it and continue again"
        ) from None
    lines = split_lines(text)
    stamp = (st.st_mtime_ns, st.st_size)
    locate.remember_loaded(filename, registry.stamps.get(filename), stamp)
    linecache.cache[filename] = (st.st_size, st.st_mtime, lines, filename)
    registry.stamps[filename] = stamp
    return lines


def split_lines(text: str) -> list[str]:
    """Lines ending at ``\\n`` only, as the compiler counts them
    (``str.splitlines`` also splits at form feeds and other separators)."""
    if any(sep in text for sep in "\v\f\x1c\x1d\x1e\x85\u2028\u2029\r"):
        import io

        return io.StringIO(text, newline="\n").readlines()
    return text.splitlines(keepends=True)


def reload_function(fn: FunctionType, qualname: str) -> FunctionType:
    """Rebuild ``fn`` from its file and swap the new code into it.

    On any problem this raises ReloadException and the running version is
    left exactly as it was.
    """
    old = fn.__code__
    filename = old.co_filename
    lines = read_lines(filename)
    built = surrogate.build(
        lines,
        filename,
        qualname,
        old.co_firstlineno,
        surrogate.future_flags(old),
        old.co_freevars,
        surrogate.shape(old),
        locate.text_of(old),
    )
    defaults: dict[str, Any] = {}
    cls: type | None = None
    if not built.nested:
        cls = _resolve_class(fn.__globals__, built.class_path) if built.class_path else None
        fresh = _evaluate_def(fn, built, cls)
        if fresh is not None:
            defaults = {"defaults": fresh.__defaults__, "kwdefaults": fresh.__kwdefaults__}
    rebind.swap(fn, built.code, doc=built.doc, **defaults)
    shift.shift_module_of(fn, lines)  # others the edit moved report their new lines
    if built.nested:
        # Closures the enclosing function makes from now on get the new code:
        # it holds the running version, or (for a function wrap() swapped
        # code into) the original that wrap() replaced.
        originals = [old, *registry.origins_of(old)]
        root = _enclosing_root(fn, qualname, originals)
        if root is not None:
            for original in originals:
                rebind.patch_enclosing(root, original, built.code)
    if cls is not None:
        classes.add_new_methods(
            cls, lines, filename, built.class_path, old.co_firstlineno, fn.__globals__
        )
    return fn


def _evaluate_def(
    fn: FunctionType, built: surrogate.Surrogate, cls: type | None
) -> FunctionType | None:
    """Run the new ``def`` statement alone to evaluate its new defaults.

    For a method it runs in a copy of the class namespace, so defaults that
    name class-level constants resolve as they did when the class was built.
    """
    body = built.module_code
    namespace: dict[str, Any] = {}
    closure = None
    if built.class_path:
        if cls is None:
            return None
        # PEP 695 aware: a generic class's body needs its type parameters' cells.
        body, closure = surrogate.class_body(body, built.class_path, cls, fn.__globals__)
        namespace = dict(vars(cls))
    try:
        if closure is None:
            exec(body, fn.__globals__, namespace)
        else:
            exec(body, fn.__globals__, namespace, **{"closure": closure})  # 3.11+
    except Exception as e:
        raise ReloadException(
            f"evaluating the new def of {fn.__qualname__} failed: {e.__class__.__name__}: {e}; "
            "fix it and continue again"
        ) from None
    for value in namespace.values():
        for candidate in underlying_functions(value):
            if candidate.__code__ is built.code:
                return candidate
    return None


def _resolve_class(globals_: dict[str, Any], path: tuple[str, ...]) -> type | None:
    obj: Any = globals_.get(path[0]) if path else None
    for name in path[1:]:
        obj = getattr(obj, name, None)
    return obj if isinstance(obj, type) else None


def _enclosing_root(fn: FunctionType, qualname: str, codes: list[CodeType]) -> FunctionType | None:
    """The outermost def enclosing ``fn`` (whose code holds one of ``codes``)."""
    spath = scope_path(qualname)
    obj: Any = fn.__globals__.get(spath[0][0])
    for name, kind in spath[1:]:
        if kind == "def":
            break
        obj = getattr(obj, name, None)
    for candidate in underlying_functions(obj):
        if any(c is old for c in iter_code(candidate.__code__) for old in codes):
            return candidate
    return None


def changed_since_load(filename: str) -> bool:
    stamp = registry.stamps.get(filename)
    try:
        st = os.stat(filename)
    except OSError:
        return False
    return stamp is None or stamp != (st.st_mtime_ns, st.st_size)
