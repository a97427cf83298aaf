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
    shifted: list[FunctionType] = []
    done: set[int] = set()
    state = _Swaps()
    replaced: dict[int, CodeType] = {}
    nested: list[tuple[CodeType, CodeType]] = []  # for closures made from them earlier
    for fn in found:
        code = fn.__code__
        if id(code) in replaced:  # another function made from the same def
            state.swap(fn, replaced[id(code)])
            continue
        if id(code) in done or code.co_filename != filename:
            continue  # seen (a function met twice has its moved code by now)
        done.add(id(code))
        if locate.text_of(code) is not None:
            continue
        first = code.co_firstlineno
        for low, high, delta in moved:
            if low <= first <= high:
                if delta and _last_line(code) <= high:
                    new = replaced[id(code)] = moved_code(code, delta)
                    done.add(id(new))
                    state.swap(fn, new)
                    shifted.append(fn)
                    nested += rebind.nested_pairs(code, new)
                break
    for made, code in rebind.made_earlier(nested):
        rebind.swap_all(made, code)
    return shifted


class _Swaps:
    """Give a function its moved code, keeping what the runtime links to it."""

    def __init__(self) -> None:
        self.running: set[int] | None = None

    def swap(self, fn: FunctionType, new: CodeType) -> None:
        code = fn.__code__
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


def moved_code(code: CodeType, delta: int) -> CodeType:
    """``code`` and its nested code, ``delta`` lines further down."""
    consts = tuple(moved_code(c, delta) if isinstance(c, CodeType) else c for c in code.co_consts)
    return code.replace(co_firstlineno=code.co_firstlineno + delta, co_consts=consts)


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
