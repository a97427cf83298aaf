"""``wrap`` on a function whose source cannot be found (``python -c``)."""

from __future__ import annotations

import os
import subprocess
import sys

from scenario import ROOT

PROGRAM = """\
import hot_restart
def f():
    return 1 / 0
code = f.__code__
g = hot_restart.wrap(f)
print("same function:", g is f)
print("same code:", f.__code__ is code)
try:
    f()
except ZeroDivisionError:
    print("f still raises")
"""


def run(program: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "HOT_RESTART_DEBUGGER": "pdb",
    }
    return subprocess.run(
        [sys.executable, "-c", program],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )


def test_wrap_returns_the_function_unchanged_with_one_warning():
    result = run(PROGRAM)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "same function: True",
        "same code: True",
        "f still raises",
    ]
    assert result.stderr.count("RuntimeWarning") == 1, result.stderr
    assert "hot_restart: cannot wrap f: its source is not available (<string>)" in result.stderr
    # The warning points at the caller's line (the wrap() call), not at hot_restart.
    assert result.stderr.startswith("<string>:5: RuntimeWarning:"), result.stderr


def test_keyword_form_also_warns_once():
    program = PROGRAM.replace(
        "hot_restart.wrap(f)", "hot_restart.wrap(propagated_exceptions=(KeyError,))(f)"
    )
    result = run(program)
    assert result.returncode == 0, result.stderr
    assert "same function: True" in result.stdout
    assert "same code: True" in result.stdout
    assert result.stderr.count("RuntimeWarning") == 1, result.stderr
    assert result.stderr.startswith("<string>:5: RuntimeWarning:"), result.stderr
