"""Swap new code into the running program so every reference sees it.

Assigning ``__code__`` keeps the function object, so ``from m import f``
taken earlier, bound methods, registered callbacks and decorators wrapping
it all run the new version.  A nested function is also replaced inside its
enclosing function's code, so closures created later get it too.
"""

from __future__ import annotations

import gc
from types import CodeType, FrameType, FunctionType
from typing import Any

from ..errors import ReloadException
from . import registry

_UNSET: Any = object()


def live_functions(code: CodeType) -> list[FunctionType]:
    """Every function object running ``code`` (all closures of one def)."""
    return [
        obj
        for obj in gc.get_referrers(code)
        if isinstance(obj, FunctionType) and obj.__code__ is code
    ]


def frame_function(frame: FrameType) -> FunctionType | None:
    """The function a frame is running, found through the code it runs.

    Python does not expose a frame's function, so this asks ``gc``; among
    several closures of one def it picks the one whose cells hold what the
    frame sees.  Only called after a crash, never on the happy path.
    """
    code = frame.f_code
    candidates = live_functions(code)
    newer = registry.superseded.get(code)
    if newer is not None and newer not in candidates:
        candidates.append(newer)
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    values = frame.f_locals
    for fn in candidates:
        cells = fn.__closure__ or ()
        if all(
            name in values and _cell_value(cell) is values[name]
            for name, cell in zip(fn.__code__.co_freevars, cells, strict=False)
        ):
            return fn
    return candidates[0]


def _cell_value(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:
        return _UNSET


def swap(
    fn: FunctionType,
    new: CodeType,
    *,
    defaults: Any = _UNSET,
    kwdefaults: Any = _UNSET,
    doc: Any = _UNSET,
    annotations_from: FunctionType | None = None,
    everywhere: bool = True,
) -> None:
    """Give ``fn`` the new code, and (``everywhere``) every other function running the old.

    ``annotations_from`` is the freshly evaluated new ``def``: its annotations
    replace the old ones, which the code swap alone would keep (on 3.14 the
    old ``__annotate__`` and whatever it already cached, PEP 649).

    Finding the others takes a scan of the heap (``gc.get_referrers``);
    ``wrap()`` skips it for a function without a closure, which has no
    siblings made from the same def.
    """
    old = fn.__code__
    if old.co_freevars != new.co_freevars:
        raise ReloadException(
            f"{fn.__qualname__}: the new code needs closure {new.co_freevars}, the running "
            f"one has {old.co_freevars}; `up` to the enclosing function and `restart` it"
        )
    targets = live_functions(old) if everywhere else [fn]
    if fn not in targets:
        targets.append(fn)
    for f in targets:
        f.__code__ = new
        if defaults is not _UNSET:
            f.__defaults__ = defaults
        if kwdefaults is not _UNSET:
            f.__kwdefaults__ = kwdefaults
        if doc is not _UNSET:
            f.__doc__ = doc
        if annotations_from is not None:
            _copy_annotations(annotations_from, f)
    if old is not new:
        registry.superseded[old] = fn


def _copy_annotations(source: FunctionType, target: FunctionType) -> None:
    """Give ``target`` the annotations of ``source``, as lazy as they are there.

    On 3.14 a callable ``__annotate__`` is copied (assigning it drops the
    cached ``__annotations__``), so they are still evaluated only when asked
    for. Without one (before 3.14, or ``from __future__ import annotations``)
    the dict is copied, which on 3.14 also clears ``__annotate__``.
    """
    annotate = getattr(source, "__annotate__", None)
    if annotate is not None:
        setattr(target, "__annotate__", annotate)  # noqa: B010 (3.14 only; typeshed targets 3.10)
    else:
        target.__annotations__ = dict(source.__annotations__)


def replace_nested(code: CodeType, old: CodeType, new: CodeType) -> CodeType:
    """``code`` with ``old`` replaced by ``new`` wherever it is nested."""
    if code is old:
        return new
    consts = []
    changed = False
    for const in code.co_consts:
        if isinstance(const, CodeType):
            replaced = replace_nested(const, old, new)
            changed = changed or replaced is not const
            const = replaced
        consts.append(const)
    return code.replace(co_consts=tuple(consts)) if changed else code


def patch_enclosing(root: FunctionType, old: CodeType, new: CodeType) -> None:
    """Make closures that ``root`` creates from now on use the new code."""
    replaced = replace_nested(root.__code__, old, new)
    if replaced is not root.__code__:
        swap(root, replaced)
