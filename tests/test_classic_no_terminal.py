"""Without a terminal hot_restart must be invisible: same output, same status.

The reference is the very same program, at the very same path, with its
``hot_restart.wrap_module()`` line replaced by ``pass`` (so no line moves).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from scenario import PROMPT, ROOT, SCENARIOS, debugger

WRAP_LINE = "hot_restart.wrap_module()\n"


def neutralised(source: str) -> str:
    assert source.count(WRAP_LINE) == 1
    return source.replace(WRAP_LINE, "pass\n")


def env(**extra: str) -> dict[str, str]:
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "HOT_RESTART_DEBUGGER": debugger(),
    }
    return {**base, **extra}


def run(prog: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(prog)],
        cwd=prog.parent,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env(**extra),
        timeout=30,
    )


def test_no_terminal_behaves_as_without_hot_restart(tmp_path):
    source = (SCENARIOS / "basic" / "in_1.py").read_text()
    prog = tmp_path / "prog.py"
    prog.write_text(source)
    wrapped = run(prog)
    prog.write_text(neutralised(source))
    plain = run(prog)
    assert plain.returncode == 1
    assert "AssertionError: too big" in plain.stderr
    assert (wrapped.returncode, wrapped.stdout, wrapped.stderr) == (
        plain.returncode,
        plain.stdout,
        plain.stderr,
    )


def test_quit_leaves_the_same_traceback_as_without_hot_restart(session):
    """After ``q`` the final report is the program's usual traceback, nothing more."""
    s = session("basic")
    s.prompt()
    s.send("q")
    out = s.finish(1)
    after_quit = out[out.index("Traceback (most recent call last):") :]
    s.prog.write_text(neutralised((SCENARIOS / "basic" / "in_1.py").read_text()))
    plain = run(s.prog)
    assert plain.returncode == 1
    assert after_quit == plain.stdout + plain.stderr


def shell_session(session, **extra: str):
    """Run the basic scenario with stdin on the terminal and stdout into a pipe."""
    command = f"set -o pipefail; {shlex.quote(sys.executable)} prog.py | cat"
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("needs bash for a pipeline with pipefail")
    # The harness always runs the test interpreter; let it exec bash.
    shim = f"import os; os.execv({bash!r}, ['bash', '-c', {command!r}])"
    return session("basic", args=["-c", shim], env=extra)


def test_stdout_not_a_terminal_does_not_prompt(session):
    s = shell_session(session)
    out = s.finish(1)
    assert "AssertionError: too big" in out
    assert "hot_restart:" not in out
    assert not re.search(PROMPT, out)


def test_force_prompt_prompts_although_stdout_is_a_pipe(session):
    s = shell_session(session, HOT_RESTART_FORCE_PROMPT="1")
    before = s.prompt()
    assert "> hot_restart: __main__.inner raised AssertionError('too big')" in before
    s.fix()
    s.send("c")
    s.expect(r"result: \(5, 14\)")
    s.finish(0)
