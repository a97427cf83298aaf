"""``pytest --hot-restart``: fix the code under test (or the test) and continue.

Each test runs a real ``python -m pytest`` in a temporary project: through a
pseudo-terminal (pexpect) where the debugger is expected, with stdin from
/dev/null where it must not be.  The projects' test files are named
``check_*.py`` so that this suite's own run does not collect them; pytest
collects a file named on its command line whatever its name.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import scenario
from scenario import ROOT, SCENARIOS

FLAGS = ["--hot-restart", "--hot-restart-pattern", "mylib.*"]


def pytest_args(*files: str, flags: list[str] = FLAGS) -> list[str]:
    return ["-m", "pytest", *flags, "-p", "no:cacheprovider", "-q", *files]


@pytest.fixture
def with_conftest(tmp_path, monkeypatch):
    """The crash scenario, plus a conftest.py that imports the code under test.

    (A conftest.py kept under tests/scenarios would be loaded by this suite's
    own run, so it is added to a copy.)
    """
    source = tmp_path / "scenarios"
    shutil.copytree(SCENARIOS / "pytest_plugin_crash", source / "pytest_plugin_crash")
    folder = source / "pytest_plugin_crash"
    shutil.copy(folder / "conftest_for_the_run.py", folder / "conftest.py")
    monkeypatch.setattr(scenario, "SCENARIOS", source)
    return "pytest_plugin_crash"


def test_crash_in_the_code_under_test_stops_at_the_crash_site(session, with_conftest):
    s = session(with_conftest, main="mylib/core.py", args=pytest_args("check_ratio.py"))
    before = s.prompt()
    # mylib.core was imported by conftest.py, and is instrumented all the same.
    assert "mylib.core.ratio raised ZeroDivisionError" in before
    assert "return 10 // (x - 2)" in before  # the crash site, not the test
    # Neither the xfail test nor the pytest.raises block stopped.
    assert "inverse raised" not in before
    s.fix()
    s.send("c")
    out = s.expect(r"\d+ passed.*")
    assert "reloaded ratio" in out
    assert "2 passed, 1 xfailed" in out
    s.finish(0)


def test_declining_lets_the_test_fail_once(session, with_conftest):
    s = session(with_conftest, main="mylib/core.py", args=pytest_args("check_ratio.py"))
    s.prompt()
    s.send("q")
    out = s.finish(1)
    assert "1 failed, 1 passed, 1 xfailed" in out
    assert "FAILED check_ratio.py::test_ratio - ZeroDivisionError" in out
    assert out.count("hot_restart: ") == 1  # the test-function wrapper did not ask again


def test_patterns_from_hot_restart_patterns(session):
    env = {"HOT_RESTART_PATTERNS": " mylib.* ,"}
    args = pytest_args("check_ratio.py", flags=["--hot-restart"])
    s = session("pytest_plugin_crash", main="mylib/core.py", args=args, env=env)
    assert "mylib.core.ratio raised ZeroDivisionError" in s.prompt()
    s.fix()
    s.send("c")
    s.expect(r"2 passed, 1 xfailed")
    s.finish(0)


def test_watch_continues_when_the_file_is_saved(session):
    args = pytest_args("check_ratio.py", flags=[*FLAGS, "--hot-restart-watch"])
    s = session("pytest_plugin_crash", main="mylib/core.py", args=args)
    s.prompt()
    s.fix()  # nothing typed
    out = s.expect(r"2 passed, 1 xfailed")
    assert "core.py saved: continuing" in out
    s.finish(0)


def test_fix_the_code_under_test_and_the_test_itself(session):
    s = session("pytest_plugin", main="mylib/core.py", args=pytest_args("check_double.py"))
    before = s.prompt()
    # First stop: the test's assert fails because double() is wrong.  The
    # exception is raised in the test function, which pytest owns, so the
    # debugger opens post mortem there and the test is what re-runs.
    assert "test check_double.test_double failed with AssertionError" in before
    assert "assert double(2) == 4" in before
    s.fix()  # fix double() in mylib/core.py; the test file is unchanged
    s.send("c")
    second = s.prompt()
    assert "reloaded double, test_double" in second  # the code under test, then the test
    # Second stop: the bug is in the test itself.
    assert "test check_double.test_in_the_test_itself failed with KeyError('b')" in second
    s.fix("check_fixed.py", target="check_double.py")
    s.send("c")
    out = s.expect(r"\d+ passed.*")
    assert "reloaded test_in_the_test_itself" in out
    assert "2 passed" in out
    s.finish(0)


def test_declining_a_crash_in_the_test_fails_it(session):
    s = session("pytest_plugin", main="mylib/core.py", args=pytest_args("check_double.py"))
    s.prompt()
    s.send("q")
    s.prompt()  # the second test's crash
    s.send("q")
    out = s.finish(1)
    assert "FAILED check_double.py::test_double - assert 6 == 4" in out  # still rewritten
    assert "FAILED check_double.py::test_in_the_test_itself - KeyError: 'b'" in out
    assert "2 failed" in out


def run_without_terminal(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=folder,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "PYTHONPATH": f"{ROOT}{os.pathsep}{folder}",
            "PYTHONDONTWRITEBYTECODE": "1",
        },
    )


def project(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(SCENARIOS / name, folder)
    shutil.copy(folder / "in_1.py", folder / "mylib" / "core.py")
    return folder


def _timeless(text: str) -> str:
    return re.sub(r" in [0-9.]+s", " in Ns", text)


@pytest.mark.parametrize(
    ("name", "check", "summary"),
    [
        ("pytest_plugin", "check_double.py", "2 failed"),
        ("pytest_plugin_crash", "check_ratio.py", "1 failed, 1 passed, 1 xfailed"),
    ],
)
def test_without_a_terminal_the_run_is_as_without_the_flag(tmp_path, name, check, summary):
    folder = project(tmp_path, name)
    plain = run_without_terminal(folder, *pytest_args(check, flags=[]))
    hooked = run_without_terminal(folder, *pytest_args(check))
    assert plain.returncode == hooked.returncode == 1
    assert summary in plain.stdout
    assert _timeless(hooked.stdout) == _timeless(plain.stdout)
    assert hooked.stderr == plain.stderr


def test_a_module_imported_before_the_hook_is_named_in_a_warning(tmp_path):
    folder = project(tmp_path, "pytest_plugin_crash")
    done = run_without_terminal(folder, *pytest_args("check_ratio.py"), "-p", "early_plugin")
    assert "1 failed, 1 passed, 1 xfailed, 1 warning" in done.stdout
    assert "RuntimeWarning: hot_restart: mylib, mylib.core already imported before" in done.stdout
    assert "a plugin loaded before hot_restart's imported them" in done.stdout


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


def test_a_bad_pattern_is_a_usage_error(tmp_path):
    done = run_without_terminal(
        tmp_path, "-m", "pytest", "--hot-restart-pattern", "my lib", "--hot-restart"
    )
    assert done.returncode == 4
    assert "hot_restart:" in done.stderr and "'my lib'" in done.stderr


def test_what_the_test_catches_never_stops_but_a_thread_crash_does(session):
    s = session("pytest_plugin_crash", main="mylib/core.py", args=pytest_args("check_more.py"))
    before = s.prompt()
    assert "mylib.core.ratio raised ZeroDivisionError" in before
    assert "[thread worker]" in before
    assert "inverse raised" not in before
    s.fix()
    s.send("c")
    s.expect(r"2 passed")
    s.finish(0)
