"""Functions an edit moved but did not change get their new line numbers."""

from __future__ import annotations

import textwrap
import traceback
from types import FunctionType

from hot_restart.runtime import changes, shift

OLD = textwrap.dedent(
    """\
    def edited():
        return 1

    def later():
        def inner():
            raise ValueError("inner")
        return inner()

    def changed():
        return 2
    """
)
NEW = (
    OLD.replace("def edited():\n", "# one\n# two\n# three\ndef edited():\n")
    .replace("return 1", "return 10")
    .replace("return 2", "return 20")
)


def load(text: str, filename: str) -> dict[str, FunctionType]:
    namespace: dict[str, FunctionType] = {}
    exec(compile(text, filename, "exec"), namespace)
    return namespace


def lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def test_moved_unchanged_functions_report_their_new_lines(tmp_path):
    filename = str(tmp_path / "mod.py")
    fns = load(OLD, filename)
    later = fns["later"]
    namespace = {"__name__": "mod", **fns}
    # What a reload of all does: the edit's moved ranges, then the shift.
    moved = changes.compare(lines(OLD), lines(NEW), filename, "mod", namespace).moved
    shifted = shift.shift_ranges(filename, moved, [namespace])
    assert shifted == [later]
    try:
        later()
    except ValueError as e:
        frames = traceback.extract_tb(e.__traceback__)[1:]
    assert [(f.name, f.lineno) for f in frames] == [("later", 10), ("inner", 9)]
    assert fns["edited"].__code__.co_firstlineno == 1  # edited: left for a reload
    assert fns["changed"].__code__.co_firstlineno == 9  # edited too


def test_moved_code_shifts_the_line_table():
    fns = load(OLD, "m.py")
    code = shift.moved_code(fns["later"].__code__, 5)
    assert [line for _, _, line in code.co_lines() if line] == [
        line + 5 for _, _, line in fns["later"].__code__.co_lines() if line
    ]


def test_moved_ranges_from_a_reload_of_all_shift_each_function_once(tmp_path):
    filename = str(tmp_path / "mod.py")
    fns = load(OLD, filename)
    later, changed = fns["later"], fns["changed"]
    namespace = {"__name__": "mod", "later": later, "changed": changed, "again": later}
    # Lines 4..10 of the loaded text (later and changed) moved down by 3.
    shifted = shift.shift_ranges(filename, [(4, 10, 3)], [namespace, namespace])
    assert shifted == [later, changed]
    assert (later.__code__.co_firstlineno, changed.__code__.co_firstlineno) == (7, 12)


DECORATED = textwrap.dedent(
    """\
    import functools

    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args):
            return fn(*args)
        return wrapper

    class Box:
        'Methods.'

        @deco
        @staticmethod
        def moved():
            raise ValueError("moved")

        def edited(self):
            return 1
    """
)


def test_a_decorated_method_moved_in_its_class_reports_its_new_lines(tmp_path):
    # A line added inside the class: its methods are compared one by one, and
    # the moved one's range must start at its first decorator, where its code
    # starts (co_firstlineno), not at its ``def``.
    filename = str(tmp_path / "mod.py")
    namespace: dict[str, object] = {"__name__": "mod"}
    exec(compile(DECORATED, filename, "exec"), namespace)
    new = DECORATED.replace("'Methods.'\n", "'Methods.'\n# a note\n").replace(
        "return 1", "return 2"
    )
    moved = changes.compare(lines(DECORATED), lines(new), filename, "mod", namespace).moved
    shift.shift_ranges(filename, moved, [namespace])
    try:
        namespace["Box"].moved()  # type: ignore[attr-defined]
    except ValueError as e:
        last = traceback.extract_tb(e.__traceback__)[-1]
    assert (last.name, last.lineno) == ("moved", 16)
