"""Patterns that reach hot_restart's own imports: ``-p '*'``, ``-p weakref``, ``-p symtable``.

hot_restart never instruments itself, nor what it imports (the transform's
``ast``/``symtable``, the cache's ``importlib.util``, the runtime's
``weakref``, the debugger at the first crash) and what those import in turn:
instrumenting them while instrumenting is a circular import.  Everything
else matches as asked: ``-p '*'`` instruments the whole program, standard
library and third-party modules included.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from scenario import ROOT

PROGRAM = """\
    import json
    import symtable
    import weakref
    import helper
    from hot_restart.transform import is_instrumented
    print(json.dumps({
        "helper": is_instrumented(helper.double.__code__),
        "json": is_instrumented(json.dumps.__code__),
        "sum": helper.double(21),
    }))
    """


def _run(root: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "HOT_RESTART"))}
    env.update(PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run(
        [sys.executable, *args],
        cwd=root,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def program(tmp_path: Path) -> Path:
    (tmp_path / "main.py").write_text(textwrap.dedent(PROGRAM))
    (tmp_path / "helper.py").write_text("def double(x):\n    return x * 2\n")
    return tmp_path


@pytest.mark.parametrize("pattern", ["*", "weakref", "symtable", "importlib.*", "tokenize", "ast"])
def test_runner_with_patterns_reaching_our_imports(program: Path, pattern: str) -> None:
    proc = _run(program, ["-m", "hot_restart", "-p", pattern, "main.py"])
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    # At most the one-line notice that a module named outright was imported
    # before the program (the runner's own ``ast``).
    assert len(proc.stderr.splitlines()) <= 2, proc.stderr
    report = json.loads(proc.stdout)
    assert report["sum"] == 42
    if pattern == "*":
        # Everything else is instrumented: the program's modules and the library's.
        assert (report["helper"], report["json"]) == (True, True)


@pytest.mark.parametrize(
    "pattern", ["*", "weakref", "symtable", "ast", "marshal", "importlib.*", "importlib.util"]
)
def test_install_with_patterns_reaching_our_imports(program: Path, pattern: str) -> None:
    """install() straight from the program, with nothing imported ahead of it."""
    (program / "first.py").write_text(
        f"import hot_restart\nhot_restart.install({pattern!r})\nimport importlib.util, main\n"
    )
    proc = _run(program, ["first.py"])
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1])["sum"] == 42
    assert "Traceback" not in proc.stderr


def test_star_still_stops_and_restarts_in_program_code(program: Path) -> None:
    """Under '*', a crash in the program still reaches the runtime (no terminal: python's report)."""
    (program / "crash.py").write_text("import helper\n\ndef main():\n    return 1 / 0\n\nmain()\n")
    plain = _run(program, ["crash.py"])
    hot = _run(program, ["-m", "hot_restart", "-p", "*", "crash.py"])
    assert (hot.returncode, hot.stdout, hot.stderr) == (
        plain.returncode,
        plain.stdout,
        plain.stderr,
    )


CRASH_REPORT = """\
    import atexit

    def report():
        from hot_restart.transform import is_instrumented
        import bdb, helper, pdb
        print("instrumented:", is_instrumented(pdb.Pdb.do_p.__code__),
              is_instrumented(bdb.Bdb.set_trace.__code__), is_instrumented(helper.double.__code__))
    atexit.register(report)

    def main(x):
        return 1 / x

    main(0)
    """


def test_star_leaves_the_debugger_it_opens_plain(program: Path) -> None:
    """pdb, imported by the runtime at the first crash, is hot_restart's: not instrumented."""
    (program / "crash.py").write_text(textwrap.dedent(CRASH_REPORT))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "HOT_RESTART"))}
    env.update(
        PYTHONPATH=str(ROOT),
        PYTHONDONTWRITEBYTECODE="1",
        HOT_RESTART_FORCE_PROMPT="1",
        HOT_RESTART_DEBUGGER="pdb",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "hot_restart", "-p", "*", "crash.py"],
        cwd=program,
        env=env,
        input="q\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "hot_restart: __main__.main raised ZeroDivisionError" in proc.stdout
    # pdb and bdb stay plain (and what they import: 3.14's pdb imports json); the
    # program's own module, imported after the crash, is instrumented.
    assert "instrumented: False False True" in proc.stdout


def test_runner_names_a_module_it_imported_itself_on_one_line(program: Path) -> None:
    """``-p ast``: the runner needs ast before the program starts; one plain line says so."""
    proc = _run(program, ["-m", "hot_restart", "-p", "ast", "-p", "helper", "main.py"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == (
        "hot_restart: ast is imported by python or by hot_restart before the program starts, "
        "so not instrumented\n"
    )
    assert json.loads(proc.stdout)["helper"] is True
