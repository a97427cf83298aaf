"""Give functions that an edit moved, but did not change, their new lines.

Lines added above a function move it down; its code still carries the old
line numbers, so a later crash in it would be reported (in the traceback
and in the debugger) at a line that now holds something else.  After a
reload reads an edited file, every live function of that file whose text
is unchanged but sits at another place gets a copy of its code with
``co_firstlineno`` moved (line tables are relative to it, also in nested
code), as jurigged does.  The code is otherwise the same object graph, so
nothing else about the function changes.

What moved where comes from the reload's comparison of the text the
function was loaded from with the new text (``changes.compare``: ranges of
old lines and how far they moved).  A function whose lines are not all in
one moved range is left alone: it was edited, and a reload (not a shift)
is what it needs.  Closures made earlier from its nested defs (a callback a
factory made, the wrappers of a decorator) move with it.  Frames already
running the old code keep their old line numbers: a running frame's code
cannot be replaced.
"""

from __future__ import annotations

from types import CodeType, FrameType, FunctionType
from typing import Any

from ..transform import iter_code
from . import locate, rebind, registry
from .walk import functions_of_namespace


def shift_ranges(
    filename: str,
    moved: list[tuple[int, int, int]],
    namespaces: list[dict[str, Any]],
) -> list[FunctionType]:
    """Shift the functions of ``filename`` (found in ``namespaces`` and the
    classic ``wrap()`` registry) that lie in one of the ``moved`` ranges:
    ``(first, last, delta)`` in the lines of the text it was loaded from,
    as a reload of all computes them.  Code reloaded since that load is
    at its new lines already and is left alone (the reload then forgets
    those texts: all of the file's code refers to its new text)."""
    found: list[FunctionType] = []
    for namespace in namespaces:
        module_name = str(namespace.get("__name__", ""))
        found += functions_of_namespace(namespace, module_name, filename)
    found += registry.wrapped.get(filename, ())
    # First what moves: each def's code once, however many functions run it.
    loaded = locate.loaded_lines(filename)
    planned: list[tuple[FunctionType, CodeType]] = []
    moved_to: dict[int, CodeType] = {}
    for fn in found:
        code = fn.__code__
        if code.co_filename != filename or _elsewhere(code, loaded):
            continue
        if id(code) not in moved_to:
            delta = _delta(code, moved)
            if not delta:
                continue
            moved_to[id(code)] = moved_code(code, delta, loaded)
        planned.append((fn, code))
    # A closure met in the namespace (``f = make_f()``) takes the code its
    # enclosing def now holds, not a copy of its own: what later closures get,
    # and what the next reload of the enclosing def looks for in the heap.
    codes = {id(code): code for _, code in planned}
    inside = {id(c) for code in codes.values() for c in iter_code(code) if c is not code}
    nested: list[tuple[CodeType, CodeType]] = []
    for code_id, code in codes.items():
        if code_id not in inside:  # outermost: its nested code decides for the rest
            pairs = rebind.nested_pairs(code, moved_to[code_id])
            nested += pairs
            moved_to.update((id(old), inner) for old, inner in pairs)
    shifted: list[FunctionType] = []
    state = _Swaps()
    for fn, code in planned:
        if fn.__code__ is code:  # not twice in the list
            state.swap(fn, moved_to[id(code)])
            shifted.append(fn)
    # And closures out of the namespace's reach (in a list, a registry).
    for made, code in rebind.made_earlier(nested):
        rebind.swap_all(made, code)
    return shifted


def _delta(code: CodeType, moved: list[tuple[int, int, int]]) -> int:
    """How far ``code`` moved: 0 unless one moved range holds all of it."""
    first = code.co_firstlineno
    for low, high, delta in moved:
        if low <= first <= high:
            return delta if _last_line(code) <= high else 0
    return 0


class _Swaps:
    """Give a function its moved code, keeping what the runtime links to it."""

    def __init__(self) -> None:
        self.running: set[int] | None = None

    def swap(self, fn: FunctionType, new: CodeType) -> None:
        code = fn.__code__
        locate.keep_text(code)  # a frame running it stays at its lines
        fn.__code__ = new
        if self.running is None:
            self.running = _running_code()
        if id(code) in self.running:  # a frame runs it: ``restart`` must find fn from it
            registry.superseded[code] = fn
        for original in registry.origins_of(code):  # what an enclosing def still holds
            registry.note_origin(new, original)


def _running_code() -> set[int]:
    """Ids of the code objects that frames of any thread are running."""
    import sys

    found: set[int] = set()
    for frame in sys._current_frames().values():
        walk: FrameType | None = frame
        while walk is not None:
            found.add(id(walk.f_code))
            walk = walk.f_back
    return found


def moved_code(code: CodeType, delta: int, loaded: list[str] | None = None) -> CodeType:
    """``code`` and its nested code, ``delta`` lines further down.

    But for nested code a reload put there (the crashed closure, reloaded
    alone, into its enclosing def's code) from another text than ``loaded``:
    it is at that text's lines, not the loaded text's.
    """
    consts = tuple(
        moved_code(c, delta, loaded) if isinstance(c, CodeType) and not _elsewhere(c, loaded) else c
        for c in code.co_consts
    )
    return code.replace(co_firstlineno=code.co_firstlineno + delta, co_consts=consts)


def _elsewhere(code: CodeType, loaded: list[str] | None) -> bool:
    """Whether ``code`` was compiled from a text other than the loaded one.

    A function reloaded by a ``c`` that found its file unchanged (re-run as
    it is) was compiled from a text equal to the loaded one: at its lines,
    so it moves with the next edit like code never reloaded.
    """
    text = locate.text_of(code)
    return text is not None and text != loaded


def _last_line(code: CodeType) -> int:
    """The last line of a def's code, nested code included."""
    last = code.co_firstlineno
    stack = [code]
    while stack:
        c = stack.pop()
        for _, _, line in c.co_lines():
            if line is not None and line > last:
                last = line
        stack.extend(k for k in c.co_consts if isinstance(k, CodeType))
    return last
