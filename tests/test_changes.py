"""changes.compare: which definitions an edit touched, without parsing the whole file."""

from __future__ import annotations

import pytest

from hot_restart.errors import ReloadException
from hot_restart.runtime.changes import compare
from hot_restart.runtime.reload import split_lines

BASE = '''import os

LIMIT = 3


def helper(x):
    return x + 1


class Box:
    SIZE = 2

    def __init__(self, v):
        self.v = v

    @property
    def value(self):
        return self.v

    @value.setter
    def value(self, v):
        self.v = v


DOC = """
def not_a_def():
text at column 0
"""


def later():
    return LIMIT
'''


def run(new: str, live: dict[str, object] | None = None):
    namespace = {"helper": 1, "Box": 1, "later": 1, "LIMIT": 3, "DOC": "", "os": os_module()}
    namespace.update(live or {})
    return compare(split_lines(BASE), split_lines(new), "app.py", "app", namespace)


def os_module() -> object:
    import os

    return os


def changed(found) -> list[tuple[tuple[str, ...], int]]:
    return [(c.path, c.rank) for c in found.changed]


def test_identical_files_have_no_changes():
    found = run(BASE)
    assert not found.changed and not found.run and not found.not_run and not found.refused


def test_one_function_body():
    found = run(BASE.replace("return x + 1", "return x + 2"))
    assert changed(found) == [(("helper",), 0)]
    assert not found.run and not found.not_run


def test_setter_is_told_from_getter_by_rank():
    found = run(BASE.replace("self.v = v\n\n\nDOC", "self.v = -v\n\n\nDOC"))
    assert changed(found) == [(("Box", "value"), 1)]


def test_a_comment_between_definitions_changes_nothing():
    found = run(BASE.replace("\n\nclass Box:", "\n# a note\n\nclass Box:"))
    assert not found.changed and not found.run and not found.not_run


def test_lines_added_above_move_later_definitions_without_changing_them():
    found = run(BASE.replace("import os\n", "import os\n\n\n\n"))
    assert not found.changed
    assert found.moved and all(delta == 3 for _, _, delta in found.moved)


def test_new_import_constant_function_and_class_run_in_order():
    new = BASE.replace("import os\n", "import os\nimport re\n").replace(
        "def later():",
        "RATE = 0.5\n\n\ndef extra():\n    return 1\n\n\nclass New:\n    pass\n\n\ndef later():",
    )
    found = run(new)
    assert [names for _, names, _ in found.run] == [["re"], ["RATE"], ["extra"], ["New"]]
    assert not found.changed


def test_two_edits_far_apart():
    new = BASE.replace("return x + 1", "return x + 2").replace("return LIMIT", "return LIMIT * 2")
    found = run(new)
    assert changed(found) == [(("helper",), 0), (("later",), 0)]


def test_changed_literal_constant_only_while_untouched():
    new = BASE.replace("LIMIT = 3", "LIMIT = 4")
    assert [(names, how) for _, names, how in run(new).run] == [(["LIMIT"], "changed")]
    # The program rebound it since: state, not re-run, and said so.
    found = run(new, {"LIMIT": 99})
    assert not found.run and found.not_run == [3]


def test_class_level_statement_is_not_rerun():
    found = run(BASE.replace("SIZE = 2", "SIZE = 5"))
    assert found.not_run == [11] and not found.changed


def test_new_method_is_reported_for_the_class():
    new = BASE.replace(
        "    @property\n", "    def extra(self):\n        return 1\n\n    @property\n"
    )
    found = run(new)
    assert found.new_methods == [("Box",)]


@pytest.mark.parametrize(
    ("before", "after", "what"),
    [
        ("class Box:", "class Box(dict):", "base classes changed (() -> (dict))"),
        ("    SIZE = 2\n", "    SIZE = 2\n    __slots__ = ('v',)\n", "__slots__ changed"),
    ],
)
def test_layout_changes_are_refused(before, after, what):
    found = run(BASE.replace(before, after))
    assert len(found.refused) == 1 and what in found.refused[0]


def test_edit_inside_a_string_with_column_0_lines_falls_back_to_a_full_parse():
    found = run(BASE.replace("text at column 0", "text at column zero"))
    assert found.not_run == [25] and not found.changed


def test_syntax_error_names_the_line():
    with pytest.raises(ReloadException, match=r"syntax error in app.py:7"):
        run(BASE.replace("return x + 1", "return (x + 1"))


COND = """import sys

if sys.version_info >= (3, 0):

    def compat(x):
        return x + 1

else:

    def compat(x):
        return x
"""


def test_def_under_a_top_level_if_reloads_like_any_other():
    new = COND.replace("return x + 1", "return x + 2")
    found = compare(split_lines(COND), split_lines(new), "app.py", "app", {"compat": 1})
    assert [(c.path, c.rank) for c in found.changed] == [(("compat",), 0)]
    assert not found.not_run


def test_changed_condition_of_a_top_level_if_is_not_rerun():
    new = COND.replace("(3, 0)", "(3, 1)")
    found = compare(split_lines(COND), split_lines(new), "app.py", "app", {"compat": 1})
    assert found.not_run == [3] and not found.changed


def test_changed_decorator_is_named_as_not_rerun():
    new = BASE.replace("def helper(x):", "@staticmethod\ndef helper(x):")
    found = run(new)
    assert found.not_run == [6] and not found.changed
