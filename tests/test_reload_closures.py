"""Functions made before an edit from a nested def run its new code after `c`.

A closure kept somewhere (a callback made by a factory, the wrapper a
decorator put around a function at import) is a function object of its
own, made when its enclosing function ran.  A reload that swaps only the
enclosing function's code changes what it makes from then on; the ones
made before would go on running the text that is no longer on disk.  Each
test fails on the main before ``rebind.made_earlier``.
"""

from __future__ import annotations

from pathlib import Path

import child
import pytest

OLD = """\
import functools


def twice(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return [fn(*args), fn(*args)]
    return wrapper


@twice
def ask(x):
    return x


def make_adder(k):
    def add(x):
        return x + k
    return add


ADD_ONE = make_adder(1)
HELD = [make_adder(2)]  # out of reach of a walk of the module's names


def make_scaler(k):
    return lambda x: x * k


DOUBLE = make_scaler(2)
"""

# Run as ``c`` reloads: import through the hook, edit, reload what changed.
PROGRAM = """
import sys
sys.path.insert(0, sys.argv[1])
import hot_restart
from hot_restart.errors import ReloadException
from hot_restart.runtime import reload

with hot_restart.install(["closures_mod"]):
    import closures_mod
print(closures_mod.ask(2), closures_mod.ADD_ONE(2))
with open(closures_mod.__file__, "w") as f:
    f.write(sys.argv[2])
try:
    print(reload.reload_changed().qualnames)
except ReloadException as e:
    print("refused:", e)
print(closures_mod.ask(2), closures_mod.ADD_ONE(2), closures_mod.make_adder(1)(2))
"""


def _python(tmp_path: Path, program: str, *texts: str) -> list[str]:
    """The output lines of ``program``, run on closures_mod (OLD) with the edits ``texts``."""
    (tmp_path / "closures_mod.py").write_text(OLD)
    return child.run(program, tmp_path, *texts)


def _run(tmp_path: Path, new: str, last: str = "") -> list[str]:
    """PROGRAM's output; ``last``: what it prints at the end instead."""
    program = PROGRAM.replace(PROGRAM.rstrip().splitlines()[-1], last) if last else PROGRAM
    return _python(tmp_path, program, new)


def test_a_lambda_made_earlier_runs_the_fixed_code(tmp_path: Path) -> None:
    new = OLD.replace("x * k", "x * k + 1")
    last = "print(closures_mod.DOUBLE(5), closures_mod.make_scaler(2)(5))"
    assert _run(tmp_path, new, last)[-2:] == ["['make_scaler']", "11 11"]


def test_a_decorators_wrappers_and_a_factorys_closures_run_the_fixed_code(
    tmp_path: Path,
) -> None:
    new = OLD.replace("[fn(*args), fn(*args)]", "[fn(*args)] * 3").replace("x + k", "x * 10 + k")
    assert _run(tmp_path, new) == [
        "[2, 2] 3",
        "['twice', 'make_adder']",
        "[2, 2, 2] 21 21",
    ]


@pytest.mark.parametrize("edit", ["changed", "moved", "changed and moved"])
def test_closures_made_earlier_report_their_new_lines(tmp_path: Path, edit: str) -> None:
    # The enclosing def changed above its nested def, or lines were added above
    # it (only moved: its code is shifted), so the nested def moved down; or
    # both, far enough that the nested def's new lines are, in the old text,
    # those of the unchanged code below, which the reload shifts: the new code
    # of the nested def must not be shifted with it.
    if edit == "changed":
        new = OLD.replace("def make_adder(k):\n", "def make_adder(k):\n    k = k + 0\n")
    elif edit == "moved":
        new = OLD.replace("def make_adder(k):\n", "# a comment\n\ndef make_adder(k):\n")
    else:
        new = "# a comment\n" * 5 + OLD.replace("x + k", "x * 10 + k")
    last = "print(closures_mod.ADD_ONE.__code__.co_firstlineno, closures_mod.HELD[0].__code__.co_firstlineno)"
    line = new.splitlines().index("    def add(x):") + 1
    assert _run(tmp_path, new, last)[-1] == f"{line} {line}"


def test_closures_that_cannot_take_the_new_code_refuse_the_reload_in_one_line(
    tmp_path: Path,
) -> None:
    # add now reads a variable of make_adder that the closure made earlier has no cell for.
    new = OLD.replace("def make_adder(k):\n", "def make_adder(k):\n    m = 2\n").replace(
        "x + k", "x * m + k"
    )
    out = _run(tmp_path, new)
    assert out[0] == "[2, 2] 3"
    assert out[1] == (
        "refused: make_adder.<locals>.add now takes 'k', 'm' from its enclosing function, "
        "which the 2 closures made before the edit cannot have; `up` and `restart` a caller "
        "that makes them again, or undo that part of the edit"
    )
    assert out[2] == "[2, 2] 3 3"  # nothing swapped: the old code everywhere


def test_closures_whose_def_gained_a_parameter_refuse_the_reload_in_one_line(
    tmp_path: Path,
) -> None:
    # Their defaults were fixed when they were made: the new ``scale=10`` is not among them.
    new = OLD.replace(
        "def add(x):\n        return x + k", "def add(x, scale=10):\n        return x * scale + k"
    )
    out = _run(tmp_path, new)
    assert out[1] == (
        "refused: make_adder.<locals>.add has new parameters, which the 2 closures made "
        "before the edit cannot take (defaults are set when a closure is made); `up` and "
        "`restart` a caller that makes them again, or undo that part of the edit"
    )
    assert out[2] == "[2, 2] 3 3"


def test_a_docstring_set_by_functools_wraps_is_kept_and_a_closures_own_follows_the_edit(
    tmp_path: Path,
) -> None:
    new = OLD.replace("    def add(x):\n", '    def add(x):\n        """Adds k."""\n').replace(
        "def ask(x):\n", 'def ask(x):\n    """Asks."""\n'
    )
    out = _run(tmp_path, new, "print(closures_mod.ask.__doc__, closures_mod.HELD[0].__doc__)")
    # ask's wrapper shows the doc functools.wraps copied at import (decorators
    # are not applied again); the closure made by make_adder shows its new one.
    assert out[-1] == "None Adds k."


MOVED_THEN_CHANGED = """
import sys
sys.path.insert(0, sys.argv[1])
import hot_restart
from hot_restart.runtime import reload

with hot_restart.install(["closures_mod"]):
    import closures_mod
for text in sys.argv[2:]:
    with open(closures_mod.__file__, "w") as f:
        f.write(text)
    reload.reload_changed()
print(closures_mod.ADD_ONE(2), closures_mod.HELD[0](2))
"""


def test_a_closure_in_the_namespace_moved_and_then_changed_runs_the_change(
    tmp_path: Path,
) -> None:
    # The first edit only moves make_adder: ADD_ONE, met in the module's
    # namespace, must take the code make_adder now holds (not a copy of its
    # own), or the second edit's reload of make_adder would not find it.
    moved = OLD.replace("def make_adder(k):\n", "# a comment\n\ndef make_adder(k):\n")
    changed = moved.replace("x + k", "x * 10 + k")
    out = _python(tmp_path, MOVED_THEN_CHANGED, moved, changed)
    assert out[-1].split() == ["21", "22"]


CRASHED_CLOSURE = """
import sys
sys.path.insert(0, sys.argv[1])
import hot_restart
from hot_restart.runtime import reload

with hot_restart.install(["closures_mod"]):
    import closures_mod
with open(closures_mod.__file__, "w") as f:
    f.write(sys.argv[2])
crashed = closures_mod.ADD_ONE
reload.reload_changed(crashed, crashed.__qualname__, ([2], {}))  # as `c` after a crash in it
print(crashed.__code__.co_firstlineno, closures_mod.make_adder(1).__code__.co_firstlineno)
"""


def test_a_crashed_closure_reloaded_where_its_enclosing_def_moved_is_shifted_once(
    tmp_path: Path,
) -> None:
    # The crashed closure is reloaded alone (at its new lines) and put into
    # make_adder's code, which the edit moved: the shift of make_adder must
    # leave that nested code as it is, or closures made later are off by as much.
    moved = OLD.replace("def make_adder(k):\n", "# a comment\n\ndef make_adder(k):\n")
    out = _python(tmp_path, CRASHED_CLOSURE, moved)
    line = str(moved.splitlines().index("    def add(x):") + 1)
    assert out[-1].split() == [line, line]


FRAMES_OF_CLOSURES = """
import sys
sys.path.insert(0, sys.argv[1])
import hot_restart
from hot_restart.runtime import rebind, reload

with hot_restart.install(["closures_mod"]):
    import closures_mod
frames = []
for adder in (closures_mod.ADD_ONE, closures_mod.HELD[0]):
    g = closures_mod.walk(adder)  # a frame of each closure, still running the old code
    next(g)
    frames.append(g)
with open(closures_mod.__file__, "w") as f:
    f.write(sys.argv[2])
reload.reload_changed()
for g in frames:
    print(rebind.frame_function(g.gi_frame).__closure__[0].cell_contents)
"""


def test_a_frame_of_a_closure_made_earlier_still_finds_its_own_closure(tmp_path: Path) -> None:
    # ``up`` and ``restart`` on a frame that runs the old code must re-run that
    # frame's own closure (its cells), not another made from the same def.
    old = OLD.replace("    def add(x):\n", "    def add(x):\n        yield k\n")
    old += "\n\ndef walk(adder):\n    return adder(0)\n"
    (tmp_path / "closures_mod.py").write_text(old)
    new = old.replace("x + k", "x * 10 + k")
    out = child.run(FRAMES_OF_CLOSURES, tmp_path, new)
    assert out == ["1", "2"]
