"""``pytest --hot-restart``: fix the code under test (or the test) and continue."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from scenario import ROOT, SCENARIOS

PYTEST = ["-m", "pytest", "-p", "no:cacheprovider", "-q", "check_double.py"]
FLAGS = ["--hot-restart", "--hot-restart-pattern", "mylib.*"]


def test_fix_the_code_under_test_and_the_test_itself(session):
    s = session("pytest_plugin", main="mylib/core.py", args=[*PYTEST, *FLAGS])
    before = s.prompt()
    # First stop: the test's assert fails because double() is wrong; the
    # crash is in the test function itself, so the test is what re-runs.
    assert "test check_double.test_double failed with AssertionError" in before
    s.fix()  # fix double() in mylib/core.py
    s.send("c")
    second = s.prompt()
    assert "reloaded test_double" in second
    assert "test check_double.test_in_the_test_itself failed with KeyError" in second
    s.fix("check_fixed.py", target="check_double.py")
    s.send("c")
    s.expect(r"2 passed")
    s.finish(0)


def test_crash_in_instrumented_code_stops_at_the_crash_site(session):
    args = ["-m", "pytest", "-p", "no:cacheprovider", "-q", "check_ratio.py", *FLAGS]
    s = session("pytest_plugin_crash", main="mylib/core.py", args=args)
    # test_expected_error_is_not_a_crash runs first? No: file order. The
    # ZeroDivisionError under pytest.raises is handled: no prompt for it.
    before = s.prompt()
    assert "mylib.core.ratio raised ZeroDivisionError" in before
    assert "return 10 // (x - 2)" in before  # the crash site, not the test
    s.fix()
    s.send("c")
    out = s.expect(r"\d+ (passed|failed)")
    # Fixed in place, the first test passes; the second expected the bug.
    assert "1 failed, 1 passed" in s.finish(1) or "1 passed, 1 failed" in out


def test_without_a_terminal_the_outcome_is_as_without_the_flag(tmp_path):
    folder = tmp_path / "project"
    shutil.copytree(SCENARIOS / "pytest_plugin", folder)
    shutil.copy(folder / "in_1.py", folder / "mylib" / "core.py")

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *PYTEST, *extra],
            cwd=folder,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{folder}"},
        )

    plain, hooked = run(), run(*FLAGS)
    assert plain.returncode == hooked.returncode == 1
    assert "2 failed" in plain.stdout and "2 failed" in hooked.stdout
    assert "hot_restart:" not in hooked.stdout


def test_the_flag_needs_a_pattern(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--hot-restart"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "HOT_RESTART_PATTERNS"},
    )
    assert done.returncode == 4  # pytest's usage error
    assert "no module to instrument" in done.stderr
