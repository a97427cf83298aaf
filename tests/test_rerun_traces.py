"""What re-runs and the runtime leave behind: nothing plain Python would not show.

Each ``c`` without a fix re-runs the crashed function from inside its crashed
frame; the traceback printed after ``q`` must still be the one plain Python
prints for the last attempt (compared with a plain run of the same file).
At interpreter exit, an exception in ``__del__`` must be reported exactly
as plain Python reports it, not replaced by an error of the runtime's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from scenario import ROOT, SCENARIOS, debugger, plain

TIMEOUT = 30


def run_plain(script: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args, str(script)],
        cwd=script.parent,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(ROOT),
            "PYTHONDONTWRITEBYTECODE": "1",
            "HOT_RESTART_DEBUGGER": debugger(),
            "TERM": "dumb",
            **extra,
        },
    )


def traceback_of(output: str) -> str:
    """The last traceback printed, from its header to the exception line."""
    start = output.rindex("Traceback (most recent call last):")
    return output[start:].strip()


def test_continue_without_a_fix_leaves_no_frame_behind(session):
    s = session("rerun_traceback", args=["-m", "hot_restart", "prog.py"])
    assert "__main__.ratio raised ZeroDivisionError" in s.prompt()
    s.send("c")  # re-runs ratio, which crashes again
    assert "ZeroDivisionError" in s.prompt()
    s.send("c")  # the same crash, nothing changed: said, and asked again
    assert "nothing changed on disk since the last run of ratio" in s.prompt()
    s.send("c")  # `c` again: re-run as it is
    assert "ZeroDivisionError" in s.prompt()
    s.send("q")
    hot = s.finish(1)
    expected = run_plain(s.prog)
    assert expected.returncode == 1
    assert traceback_of(plain(hot)) == traceback_of(expected.stderr)
    assert traceback_of(hot).count("in ratio") == 1


def test_a_re_run_whose_error_is_made_on_its_way_out_shows_no_crashed_frame(session):
    """The fixed coroutine raises StopIteration, which leaves it as a new
    RuntimeError: that exception's only entry in the crashed frame is the
    re-run statement's, which plain Python does not have either."""
    s = session("rerun_coroutine", args=["-m", "hot_restart", "prog.py"])
    assert "__main__.ratio raised ZeroDivisionError" in s.prompt()
    s.fix()
    s.send("c")
    assert "RuntimeError" in s.prompt()  # it reaches report, which stops
    s.send("q")
    hot = s.finish(1)
    expected = run_plain(s.prog)
    assert "RuntimeError: coroutine raised StopIteration" in expected.stderr
    assert traceback_of(plain(hot)) == traceback_of(expected.stderr)
    assert "in ratio" not in traceback_of(hot)


def test_continue_then_fix_runs_the_fix(session):
    s = session("rerun_traceback", args=["-m", "hot_restart", "prog.py"])
    s.prompt()
    s.send("c")
    s.prompt()
    s.fix()
    s.send("c")
    s.expect(r"result: 11\.0")
    s.finish(0)


DEL_AT_EXIT = """\
class Noisy:
    def __del__(self):
        raise ValueError("boom in __del__")


def make():
    return Noisy()


keep = make()
print("end of the program")
"""


def without_addresses(text: str) -> str:
    return re.sub(r"0x[0-9a-fA-F]+", "0x?", text)


@pytest.mark.parametrize("prompt", ["forced", "terminal-less"])
def test_an_error_in_del_at_exit_is_reported_as_by_python(tmp_path, prompt):
    script = tmp_path / "prog.py"
    script.write_text(DEL_AT_EXIT)
    extra = {"HOT_RESTART_FORCE_PROMPT": "1"} if prompt == "forced" else {}
    expected = run_plain(script, **extra)
    hot = run_plain(script, "-m", "hot_restart", **extra)
    assert "ValueError: boom in __del__" in expected.stderr
    assert (hot.returncode, hot.stdout, without_addresses(hot.stderr)) == (
        expected.returncode,
        expected.stdout,
        without_addresses(expected.stderr),
    )


def test_the_scenario_is_a_real_crash():
    """Guard: the plain program crashes where the scenario says."""
    text = (SCENARIOS / "rerun_traceback" / "in_1.py").read_text()
    assert "total / count" in text


def test_restart_of_the_frame_that_made_the_re_run(session):
    """After `c`, `up` from the re-run's crash reaches the crashed frame that
    made it (it waits for the re-run's result); `restart` there re-runs it."""
    s = session("rerun_traceback", args=["-m", "hot_restart", "prog.py"])
    s.prompt()
    s.send("c")
    s.prompt()
    s.send("up")
    s.prompt()
    s.send("restart")
    assert "ZeroDivisionError" in s.prompt()  # re-run again, unfixed: it stops again
    s.fix()
    s.send("c")
    s.expect(r"result: 11\.0")
    s.finish(0)
