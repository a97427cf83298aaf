"""When to stop: only where no instrumented caller handles the exception."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

from scenario import ROOT, SCENARIOS


def test_handled_control_flow_never_prompts_but_a_framework_catch_does(session):
    s = session("policy", main="app/handlers.py", run="main.py")
    before = s.prompt()
    # 400 ValueErrors and 100 KeyErrors were handled by instrumented callers.
    assert "parsed: 800 numbers" in before
    assert "lookups: 300" in before
    assert before.count("hot_restart:") == 1
    # The framework (not instrumented) would catch it: that is where we stop.
    assert "app.handlers.handle raised ZeroDivisionError" in before
    s.fix()
    s.send("c")
    out = s.expect(r"served: \[100, 50, 100, 20\]")  # requests 1 and 2 ran the old code
    assert "framework caught" not in out
    s.finish(0)


def test_stop_on_all_stops_on_handled_exceptions_too(session):
    s = session("policy", main="app/handlers.py", args=["main.py", "all"])
    assert "app.parser.to_int raised ValueError" in s.prompt()
    s.send("q")
    assert "to_int raised ValueError" in s.prompt()  # the next handled one stops too
    s.send("import hot_restart; hot_restart.exit()")  # app.parser does not import it
    s.prompt()
    s.send("c")
    s.expect(r"served: \[100, 50, 25\]")
    s.finish(0)


def test_without_a_terminal_nothing_prompts(tmp_path):
    folder = tmp_path / "policy"
    shutil.copytree(SCENARIOS / "policy", folder)
    shutil.copy(folder / "in_1.py", folder / "app" / "handlers.py")
    result = subprocess.run(
        [sys.executable, "main.py"],
        cwd=folder,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": f"{ROOT}{os.pathsep}{folder}", "PATH": os.environ.get("PATH", "")},
    )
    assert result.returncode == 0, result.stderr
    assert "(Pdb)" not in result.stdout and "hot_restart:" not in result.stdout
    assert "framework caught: ZeroDivisionError" in result.stdout
    assert re.search(r"served: \[100, 50, 25\]", result.stdout)
