"""0.2.x programs keep working: the settings they read and the prompt's habits.

Each test here is a regression against 0.2.x found by running its own test
suite (see tests/classic_suite/) or reported in issue 9.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from scenario import ROOT


def _run(code: str, **env: str) -> str:
    """Run ``code`` in a fresh interpreter (these settings are process-wide)."""
    full_env = {k: v for k, v in os.environ.items() if k != "HOT_RESTART_DEBUGGER"}
    full_env.update(env, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "ipdb"),  # installed in the dev environment
        ({"HOT_RESTART_DEBUGGER": "pdb"}, "pdb"),
        ({"HOT_RESTART_DEBUGGER": "debugpy"}, "pydevd"),  # debugpy (installed here) bundles it
    ],
)
def test_debugger_reads_the_debugger_a_crash_opens(env, expected):
    assert _run("import hot_restart; print(hot_restart.DEBUGGER)", **env).split() == [expected]


def test_debugger_setting_is_kept_and_none_means_automatic():
    out = _run(
        "import hot_restart\n"
        "hot_restart.DEBUGGER = 'pdb'\n"
        "from hot_restart.runtime import debuggers\n"
        "print(hot_restart.DEBUGGER, debuggers.choose())\n"
        "hot_restart.DEBUGGER = None\n"
        "print(hot_restart.DEBUGGER)\n"
        "print('DEBUGGER' in dir(hot_restart))\n",
        HOT_RESTART_DEBUGGER="ipdb",
    )
    assert out.split() == ["pdb", "pdb", "ipdb", "True"]


def test_program_should_exit_follows_exit_and_can_be_set():
    out = _run(
        "import hot_restart\n"
        "from hot_restart.runtime.state import STATE\n"
        "print(hot_restart.PROGRAM_SHOULD_EXIT)\n"
        "hot_restart.exit()\n"
        "print(hot_restart.PROGRAM_SHOULD_EXIT)\n"
        "hot_restart.PROGRAM_SHOULD_EXIT = False\n"
        "print(STATE.exiting)\n"
        "hot_restart.PROGRAM_SHOULD_EXIT = True\n"
        "print(STATE.exiting)\n"
    )
    assert out.split() == ["False", "True", "False", "True"]


def test_setting_program_should_exit_at_the_prompt_ends_the_program(session):
    s = session("basic")
    s.prompt()
    s.send("hot_restart.PROGRAM_SHOULD_EXIT = True")
    s.prompt()
    s.send("c")
    out = s.finish(1)
    assert "AssertionError: too big" in out


def _make_packages(root: Path) -> None:
    for name in ("app", "app/core", "app/utils"):
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name / "__init__.py").write_text("")
    body = "def f():\n    return 1\n"
    for module in ("app/single.py", "app/core/models.py", "app/utils/helpers.py", "apples.py"):
        (root / module).write_text(body)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("app.*.*", ["app.core.models", "app.utils.helpers"]),  # not app.single
        ("app.*", ["app.core", "app.core.models", "app.single", "app.utils", "app.utils.helpers"]),
        (
            "app*",
            [
                "app",
                "app.core",
                "app.core.models",
                "app.single",
                "app.utils",
                "app.utils.helpers",
                "apples",
            ],
        ),
        ("*.models", ["app.core.models"]),
        ("app.[cu]*", ["app.core", "app.core.models", "app.utils", "app.utils.helpers"]),
    ],
)
def test_wrap_modules_is_plain_fnmatch(tmp_path, pattern, expected):
    """0.2.x matched module names with fnmatch; install()'s `pkg.*` differs on purpose."""
    _make_packages(tmp_path)
    code = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
        "import app.single, app.core.models, app.utils.helpers, apples\n"
        "import hot_restart\n"
        "from hot_restart.transform import is_instrumented\n"
        f"hot_restart.wrap_modules({pattern!r})\n"
        "for name in sorted(sys.modules):\n"
        "    f = getattr(sys.modules[name], 'f', None)\n"
        "    if f is not None and is_instrumented(f.__code__):\n"
        "        print(name)\n"
        "print(sorted(hot_restart.runtime.registry.modules))\n"
    )
    lines = _run(code).splitlines()
    assert lines[:-1] == [m for m in expected if m not in ("app", "app.core", "app.utils")]
    assert lines[-1] == repr(expected)


def test_wrap_modules_names_a_bad_pattern():
    out = _run(
        "import hot_restart\n"
        "try:\n"
        "    hot_restart.wrap_modules(['app.*'])\n"
        "except TypeError as e:\n"
        "    print(e)\n"
    )
    assert out.strip() == (
        "hot_restart.wrap_modules: pattern must be a string like 'app.*', not list"
    )


@pytest.mark.parametrize("debugger", ["pdb", "ipdb"])
def test_main_module_survives_the_prompt(session, debugger):
    """After an ipdb prompt, classes defined in the script still pickle."""
    s = session("classic_main_pickle", env={"HOT_RESTART_DEBUGGER": debugger})
    s.prompt()
    s.fix()
    s.send("c")
    s.expect("pickled: Point 3 6")
    s.finish(0)


def test_continue_after_reload_module_reruns_the_new_definition(session):
    """`c` runs what the re-run module defined: its new decorator settings too."""
    s = session("classic_reload_module")
    before = s.prompt()
    assert "ValueError" in before
    s.fix()
    s.send("hot_restart.reload_module()")
    s.prompt()
    s.send("c")
    s.expect(r"attempts: 2\s+parsed: 4.5")
    s.expect(r"attempts: 2\s+again: 2.5")
    s.finish(0)


def test_reload_module_twice_follows_the_newest_definition(session):
    s = session("classic_reload_module")
    s.prompt()
    s.send("hot_restart.reload_module()")  # no edit yet: a new, still buggy definition
    s.prompt()
    s.send("c")
    s.prompt()
    s.fix()
    s.send("hot_restart.reload_module()")
    s.prompt()
    s.send("c")
    s.expect(r"attempts: 2\s+parsed: 4.5")
    s.finish(0)


@pytest.mark.parametrize("debugger", ["pdb", "ipdb"])
def test_classic_prompt_lists_the_source_at_the_raising_line(session, debugger):
    """0.2.x listed the code around the crash (`l`), the raising line marked."""
    s = session("basic", env={"HOT_RESTART_DEBUGGER": debugger})
    before = s.prompt()
    if debugger == "pdb":
        assert re.search(r"^ 13  ->\s+assert x < 5", before, re.M)
        assert "12  ->" not in before
    else:
        assert re.search(r"^-*> ?13\s+assert x < 5", before, re.M)
    assert re.search(r"^ *18 .*if __name__", before, re.M)  # centred on line 13, as plain pdb
    s.send("q")
    s.finish(1)


_LISTED = re.compile(r"^(?:-*>)? *\d+ .*$", re.M)

_PROGRAM = """\
def helper(x):
    y = x * 2
    return 10 // (y - 4)


def main():
    print(helper(2))


main()
"""


def _listing(args: list[str], tmp_path: Path, debugger: str, before: list[str]) -> list[str]:
    import pexpect
    from scenario import PROMPT, plain

    child = pexpect.spawn(
        sys.executable,
        args,
        cwd=str(tmp_path),
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path),
            "PYTHONPATH": str(ROOT),
            "HOT_RESTART_DEBUGGER": debugger,
            "TERM": "dumb",
            "PYTHONDONTWRITEBYTECODE": "1",
        },
        encoding="utf-8",
        timeout=20,
        dimensions=(50, 200),
    )
    try:
        child.expect(PROMPT)
        for line in before:
            child.sendline(line)
            child.expect(PROMPT)
        child.sendline("l")
        child.expect(PROMPT)
        return [m.rstrip() for m in _LISTED.findall(plain(str(child.before)))]
    finally:
        child.terminate(force=True)


@pytest.mark.parametrize("debugger", ["pdb", "ipdb"])
def test_list_marks_the_line_that_raised_as_plain_post_mortem_does(tmp_path, debugger):
    """`l` at the crash lists what plain post-mortem lists, `->` on the raise.

    The instrumented frame is alive in its handler (at the def line); the
    debugger must still show the line that raised as the current one.
    """
    (tmp_path / "prog.py").write_text(_PROGRAM)
    plain_listing = _listing(["-m", debugger, "prog.py"], tmp_path, debugger, ["c"])
    hot_listing = _listing(["-m", "hot_restart", "prog.py"], tmp_path, debugger, [])
    assert plain_listing and any(" 3 " in line for line in plain_listing)
    assert hot_listing == plain_listing


def test_a_broken_ipdb_falls_back_to_pdb_with_one_line(session):
    """0.2.x chose pdb when ipdb would not import; the crash must still prompt."""
    s = session("broken_ipdb", env={"HOT_RESTART_DEBUGGER": "ipdb"})
    before = s.expect(r"\(Pdb\) ")
    assert "hot_restart: ipdb could not be imported (ipdb is broken here); using pdb" in before
    assert "Traceback" not in before
    s.fix()
    s.send("c")
    s.expect(r"result: \(5, 14\)")
    s.finish(0)


def test_reload_module_then_continue_runs_the_new_method_without_reload_on_continue(session):
    """RELOAD_ON_CONTINUE = False with reload_module() at the prompt (0.2.x's manual way):
    `c` on a method of an instance made before runs the re-run class's method."""
    s = session("classic_reload_module_class")
    s.prompt()
    s.fix()
    s.send("hot_restart.reload_module()")
    s.prompt()
    s.send("c")
    s.expect("hi ann")
    s.finish(0)
