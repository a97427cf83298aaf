"""Give functions that an edit moved, but did not change, their new lines.

Lines added above a function move it down; its code still carries the old
line numbers, so a later crash in it would be reported (in the traceback
and in the debugger) at a line that now holds something else.  After a
reload reads an edited file, every live function of that file whose text
is unchanged but sits at another place gets a copy of its code with
``co_firstlineno`` moved (line tables are relative to it, also in nested
code), as jurigged does.  The code is otherwise the same object graph, so
nothing else about the function changes.

What moved where comes from a line diff of the text the function was
loaded from against the new text: the common head and tail are matched in
C, only the edited middle goes through ``difflib``.  A function whose lines
are not all in one unchanged run is left alone: it was edited, and a reload
(not a shift) is what it needs.  Frames already running the old code keep
their old line numbers: a running frame's code cannot be replaced.
"""

from __future__ import annotations

from types import CodeType, FrameType, FunctionType
from typing import Any

from . import locate, registry
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
    at its new lines already and is left alone; afterwards, all of the
    file's code refers to its new text."""
    found: list[FunctionType] = []
    for namespace in namespaces:
        module_name = str(namespace.get("__name__", ""))
        found += functions_of_namespace(namespace, module_name, filename)
    found += registry.wrapped.get(filename, ())
    shifted: list[FunctionType] = []
    done: set[int] = set()
    state = _Swaps()
    replaced: dict[int, CodeType] = {}
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
                break
    locate.forget_texts(filename)
    return shifted


def shift_moved(
    filename: str, lines: list[str], functions: list[FunctionType]
) -> list[FunctionType]:
    """Shift the unchanged-but-moved ``functions`` of ``filename`` to ``lines``,
    by a line diff against the text each was compiled from (``locate.text_of``,
    else the loaded text).

    Returns the functions whose code was replaced.  A function whose code
    already came from ``lines`` (just reloaded) is skipped.
    """
    maps: dict[int, _LineMap] = {}
    shifted: list[FunctionType] = []
    done: set[int] = set()
    state = _Swaps()
    for fn in functions:
        code = fn.__code__
        if id(code) in done or code.co_filename != filename:
            continue
        done.add(id(code))
        old = locate.text_of(code) or locate.loaded_lines(filename)
        if old is None or old is lines:
            continue
        line_map = maps.get(id(old))
        if line_map is None:
            line_map = maps[id(old)] = _LineMap(old, lines)
        delta = line_map.delta(code)
        if not delta:
            continue  # in place, or edited
        new = moved_code(code, delta)
        locate.note_text(new, lines, replaces=code)
        state.swap(fn, new)
        shifted.append(fn)
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


class _LineMap:
    """Old line number -> new one, for lines in unchanged runs."""

    def __init__(self, old: list[str], new: list[str]) -> None:
        head = _common(old, new, lambda a, k: a[:k])
        tail = _common(old, new, lambda a, k: a[len(a) - k :] if k else [])
        tail = min(tail, len(old) - head, len(new) - head)
        self.head = head  # lines 1..head are where they were
        self.old_tail = len(old) - tail  # old lines after this one moved by:
        self.tail_delta = len(new) - len(old)
        self.runs: list[tuple[int, int, int]] = []  # (old first, old last, delta)
        if head < len(old) - tail and head < len(new) - tail:
            import difflib

            matcher = difflib.SequenceMatcher(
                None, old[head : len(old) - tail], new[head : len(new) - tail], autojunk=False
            )
            for a, b, size in matcher.get_matching_blocks():
                if size:
                    self.runs.append((head + a + 1, head + a + size, b - a))

    def delta(self, code: CodeType) -> int | None:
        """How far ``code``'s lines moved, if they all moved together unchanged.

        0 for a def that starts in the unchanged head: it is either where it
        was or edited, and neither needs a shift.
        """
        first = code.co_firstlineno
        if first > self.old_tail:
            return self.tail_delta
        if first <= self.head or not self.runs:
            return 0
        last = _last_line(code)
        for start, stop, delta in self.runs:
            if start <= first and last <= stop:
                return delta
        return None


def _common(old: list[str], new: list[str], part: Any) -> int:
    """The length of the common head (or tail) by binary search on slices
    (each comparison runs in C)."""
    low, high = 0, min(len(old), len(new))
    while low < high:
        mid = (low + high + 1) // 2
        if part(old, mid) == part(new, mid):
            low = mid
        else:
            high = mid - 1
    return low
