"""pdb's ``step`` goes through instrumented code as through the plain code.

While a debugger is loaded the generated handlers call the runtime for every
exception leaving an instrumented function; bdb must not stop in those
frames (runtime/stepping.py).  The same program is stepped plain and with
its module instrumented, with bdb imported before and after ``install()``,
and the debugger's stops are compared.  The line a finished frame's
'return' stop shows is the known deviation of
``test_a_frame_left_by_an_exception_reports_the_line_it_left``: left out.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from child import env, run

MOD = """\
def inner(x):
    y = x + 1
    raise ValueError(y)


def outer():
    try:
        inner(1)
    except ValueError as e:
        z = e.args
    return z


def nested():
    try:
        outer()
        inner(2)
    except ValueError:
        return "caught"
"""

MAIN = """\
import io, sys

sys.path.insert(0, sys.argv[1])
order, how = sys.argv[2], sys.argv[3]
if sys.argv[4] == "forced":  # as under a terminal: the handlers catch from the start
    import os

    os.environ["HOT_RESTART_FORCE_PROMPT"] = "1"
if order == "before":
    import pdb
import hot_restart

if how == "hook":
    hot_restart.install(patterns=["mod"])
import mod
import pdb

out = io.StringIO()
debugger = pdb.Pdb(stdin=io.StringIO("step\\n" * 60 + "continue\\n"), stdout=out)
debugger.use_rawinput = False
debugger.set_trace()
mod.nested()
sys.settrace(None)
print(out.getvalue())
"""

STOP = re.compile(r"^> (.*?)\((\d+)\)(\w+)\(\)(->.*)?$")


def stops(tmp_path, order: str, how: str, prompt: str) -> list[tuple[str, str, str]]:
    (tmp_path / "mod.py").write_text(MOD)
    found = []
    for line in run(MAIN, tmp_path, order, how, prompt):
        m = STOP.match(line)
        if m:
            name, lineno, function, returned = m.groups()
            where = name.rsplit("/", 1)[-1]
            # A 'return' stop: its value, not the line (the known deviation).
            found.append((where, "return" if returned else lineno, function + (returned or "")))
    return found


@pytest.mark.parametrize("prompt", ["none", "forced"])
@pytest.mark.parametrize("order", ["before", "after"])
def test_step_never_stops_in_hot_restarts_frames(tmp_path, order, prompt):
    """bdb imported before ``install()`` or after it, with or without a possible prompt."""
    plain = stops(tmp_path, order, "plain", prompt)
    hooked = stops(tmp_path, order, "hook", prompt)
    assert ("mod.py", "return", "nested->'caught'") in plain
    assert not [s for s in hooked if s[0] not in ("mod.py", "<string>")]
    assert hooked == plain


def _stops_of(args: list[str], cwd, commands: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        input=commands,
        capture_output=True,
        text=True,
        env=env(),
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return [line for line in done.stdout.splitlines() if line.startswith("> ")]


@pytest.mark.parametrize("how", ["script", "module"])
def test_stepping_off_the_programs_end_stops_where_pythons_does(tmp_path, how):
    """Under the runner its own frames, and those under it, are not the program's."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "prog.py").write_text("x = 1\nbreakpoint()\ny = 2\n")
    args = ["pkg/prog.py"] if how == "script" else ["-m", "pkg.prog"]
    commands = "step\n" * 10 + "continue\n"
    plain = _stops_of(args, tmp_path, commands)
    assert "prog.py(" in plain[0]  # line 3; 3.13+ stops at breakpoint() itself, line 2
    assert _stops_of(["-m", "hot_restart", *args], tmp_path, commands) == plain
