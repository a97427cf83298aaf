"""After a reload, exactly the code on disk runs: checked on generated modules.

``reload_cases.py`` does the work in a fresh interpreter (the hook changes
the import state of the whole process); see its docstring.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import child

HERE = Path(__file__).resolve().parent


def test_a_reload_runs_exactly_the_code_on_disk() -> None:
    done = subprocess.run(
        [sys.executable, "-W", "ignore::SyntaxWarning", str(HERE / "reload_cases.py"), "80"],
        env=child.env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-6000:]
    counts = dict(item.split("=") for item in done.stdout.split()[-2:])
    assert int(counts["reloaded"]) > 0, done.stdout  # the edits did reach reloads


MOVED_AFTER_A_RELOAD = """
import os, sys, traceback
sys.path.insert(0, sys.argv[1])
path = os.path.join(sys.argv[1], "moved_mod.py")
import hot_restart
from hot_restart.runtime import reload

written = []

def write(text):
    # Back to back, as an editor's saves could be: the first edit (count=1 ->
    # count=0) keeps the size, and on a coarse file-system clock the times too.
    with open(path, "w") as f:
        f.write(text)
    written.append(text)

BODY = "def ratio(total, count=DEFAULT):\\n    return total / count\\n"
write(BODY.replace("DEFAULT", "1"))
with hot_restart.install(["moved_mod"]):
    import moved_mod
ratio = moved_mod.ratio
write(BODY.replace("DEFAULT", "0"))  # `c` reloads ratio alone: its default changed
reload.reload_changed()
write("# a line added above\\n" + BODY.replace("DEFAULT", "0"))  # then only moved
reload.reload_changed()
try:
    ratio(1)
except ZeroDivisionError as e:
    print(traceback.extract_tb(e.__traceback__)[-1].lineno)
"""


def test_a_function_reloaded_by_an_earlier_c_moves_with_the_next_edit(tmp_path: Path) -> None:
    """A reload of all forgets what text each earlier reload compiled from, also
    when nothing moved, so the next edit that only moves that function shifts
    its lines: a crash in it is reported at its current line."""
    out = child.run(MOVED_AFTER_A_RELOAD, tmp_path)
    assert out == ["3"]  # the return's line, one below where it was


ADDED_BELOW_MOVED_CODE = """
import os, sys, traceback
sys.path.insert(0, sys.argv[1])
path = os.path.join(sys.argv[1], "added_mod.py")
import hot_restart
from hot_restart.runtime import reload

SHRINKS = "def shrinks():\\n" + "    x = 0\\n" * 5 + "    return x\\n\\n"
KEPT = "def kept():\\n" + "    x = 0\\n" * 4 + "    return 0\\n\\n"
ADDED = "def added():\\n    return 1 / 0\\n\\n"
def box(shrinks, added):
    body = SHRINKS.replace("    x = 0\\n" * 5, "    x = 0\\n" * shrinks) + KEPT + (ADDED if added else "")
    body = body.replace("():", "(self):")
    return "class Box:\\n" + "".join("    " + line if line.strip() else line for line in body.splitlines(True))
# The edit shortens the first defs; the new defs land on lines where, before
# it, the (now moved) kept defs were.
OLD = SHRINKS + KEPT + box(5, False)
NEW = SHRINKS.replace("    x = 0\\n" * 5, "    x = 0\\n") + KEPT + ADDED + box(2, True)
with open(path, "w") as f:
    f.write(OLD)
with hot_restart.install(["added_mod"]):
    import added_mod
instance = added_mod.Box()
with open(path, "w") as f:
    f.write(NEW)
reload.reload_changed()
plain = {}
exec(compile(NEW, path, "exec"), plain)
for fn in (added_mod.added, plain["added"], instance.added, plain["Box"]().added):
    try:
        fn()
    except ZeroDivisionError as e:
        print(traceback.extract_tb(e.__traceback__)[-1].lineno)
"""


def test_a_def_added_below_moved_code_keeps_its_own_lines(tmp_path: Path) -> None:
    """A reload runs new defs (and adds new methods) from the edited text: the
    shift of the code an edit moved must leave them alone, or a def added
    where moved code was is moved by as much, and a crash in it reported that
    far off.  Found by the reload property test once its edits could add defs."""
    out = child.run(ADDED_BELOW_MOVED_CODE, tmp_path)
    function, plain_function, method, plain_method = out
    assert (function, method) == (plain_function, plain_method)


RERUN_AS_IT_IS_THEN_MOVED = """
import os, sys, traceback
sys.path.insert(0, sys.argv[1])
path = os.path.join(sys.argv[1], "rerun_mod.py")
import hot_restart
from hot_restart.runtime import reload

BODY = "def ratio(total, count=0):\\n    return total / count\\n"
with open(path, "w") as f:
    f.write(BODY)
with hot_restart.install(["rerun_mod"]):
    import rerun_mod
ratio = rerun_mod.ratio
reload.reload_changed(ratio, "ratio", ([1], {}))  # `c` after a crash, the file unchanged
with open(path, "w") as f:
    f.write("# a line added above\\n" + BODY)  # then an edit that only moves it
reload.reload_changed()
try:
    ratio(1)
except ZeroDivisionError as e:
    print(traceback.extract_tb(e.__traceback__)[-1].lineno)
"""


def test_a_function_re_run_as_it_is_moves_with_the_next_edit(tmp_path: Path) -> None:
    """A ``c`` that finds the file unchanged reloads the crashed function from a
    text equal to the loaded one; the next edit that only moves it must still
    shift it.  Found by the reload property test on 3.14."""
    out = child.run(RERUN_AS_IT_IS_THEN_MOVED, tmp_path)
    assert out == ["3"]
