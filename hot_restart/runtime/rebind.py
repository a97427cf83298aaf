"""Swap new code into the running program so every reference sees it.

Assigning ``__code__`` keeps the function object, so ``from m import f``
taken earlier, bound methods, registered callbacks and decorators wrapping
it all run the new version.  A nested function is also replaced inside its
enclosing function's code, so closures created later get it too.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from types import CodeType, FrameType, FunctionType
from typing import Any

from ..errors import ReloadException
from . import locate, registry

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
    frame sees, then the one whose defaults are the frame's values (``def
    handle(x, n=n)`` made in a loop: functions that differ only by their
    defaults, which a re-run that leaves them out must get right).  Only
    called after a crash, never on the happy path.
    """
    code = frame.f_code
    candidates = live_functions(code)
    newer = registry.superseded.get(code)
    if newer is not None:
        # Replaced since the frame started: every function now running what
        # replaced it (all closures of the def) is a candidate, not only the
        # one the registry kept, so the cells below pick the frame's own.
        for fn in (newer, *live_functions(newer.__code__)):
            if fn not in candidates:
                candidates.append(fn)
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    values = frame.f_locals
    matching = [
        fn
        for fn in candidates
        if all(
            name in values and _cell_value(cell) is values[name]
            for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=False)
        )
    ]
    if len(matching) > 1:
        return max(matching, key=lambda fn: _defaults_seen(fn, values))  # the first of the best
    return matching[0] if matching else candidates[0]


def _defaults_seen(fn: FunctionType, values: dict[str, Any]) -> int:
    """How many of ``fn``'s default values the frame's parameters hold (by identity)."""
    code = fn.__code__
    positional = code.co_varnames[: code.co_argcount]
    defaults = fn.__defaults__ or ()
    pairs = list(zip(positional[len(positional) - len(defaults) :], defaults, strict=True))
    pairs += list((fn.__kwdefaults__ or {}).items())
    return sum(1 for name, default in pairs if values.get(name, _UNSET) is default)


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
    if old is not new:
        locate.keep_text(old)  # a frame running it stays at its lines
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


def nested_pairs(old: CodeType, new: CodeType) -> list[tuple[CodeType, CodeType]]:
    """Each code object nested in ``old``, with its counterpart in ``new``.

    Counterparts have the same names down the nesting and the same rank
    among same-named siblings, so a nested def added or removed leaves the
    other pairs as they were; one with no counterpart is left out.
    """
    pairs: list[tuple[CodeType, CodeType]] = []
    stack = [(old, new)]
    while stack:
        outer_old, outer_new = stack.pop()
        peers: dict[str, list[CodeType]] = {}
        for const in outer_new.co_consts:
            if isinstance(const, CodeType):
                peers.setdefault(const.co_name, []).append(const)
        ranks: dict[str, int] = {}
        for const in outer_old.co_consts:
            if isinstance(const, CodeType):
                rank = ranks[const.co_name] = ranks.get(const.co_name, -1) + 1
                same = peers.get(const.co_name, [])
                if rank < len(same):
                    pairs.append((const, same[rank]))
                    stack.append((const, same[rank]))
    return pairs


def made_earlier(
    pairs: Iterable[tuple[CodeType, CodeType]],
) -> list[tuple[list[FunctionType], CodeType]]:
    """The live functions made from the old code of ``pairs`` (``nested_pairs``:
    closures, the wrappers a decorator made), grouped by def, each with its new code.

    Swapping an enclosing function's code changes only what it makes from
    then on; these were made before, and would go on running the old text.
    One scan of the heap (``gc.get_referrers``) for all pairs, at a reload only.
    Lambdas too: the transform gives them no trampoline, but a kept one
    (``key=lambda ...`` made by a factory) must run the text on disk all the same.
    """
    wanted = {id(o): (o, n) for o, n in pairs}
    if not wanted:
        return []
    found: dict[int, list[FunctionType]] = {}
    for obj in gc.get_referrers(*(o for o, _ in wanted.values())):
        if isinstance(obj, FunctionType) and id(obj.__code__) in wanted:
            found.setdefault(id(obj.__code__), []).append(obj)
    return [(fns, wanted[key][1]) for key, fns in found.items()]


def swap_all(fns: list[FunctionType], new: CodeType) -> None:
    """Give every function in ``fns`` (made from one def) the new code, closures kept.

    And the new docstring, unless the program set ``__doc__`` itself
    (``functools.wraps`` gives a wrapper the wrapped function's).
    """
    old = fns[0].__code__
    locate.keep_text(old)
    for f in fns:
        untouched = f.__doc__ == _docstring(old, f)
        f.__code__ = new
        if untouched:
            f.__doc__ = _docstring(new, f)
    registry.superseded[old] = fns[0]  # a frame running the old code finds its function


def _docstring(code: CodeType, like: FunctionType) -> Any:
    """The ``__doc__`` a function made from ``code`` gets (where it lives differs by version)."""
    return FunctionType(code, like.__globals__, None, None, like.__closure__).__doc__


def patch_enclosing(root: FunctionType, old: CodeType, new: CodeType) -> None:
    """Make closures that ``root`` creates from now on use the new code."""
    replaced = replace_nested(root.__code__, old, new)
    if replaced is not root.__code__:
        swap(root, replaced)
