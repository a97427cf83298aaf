"""Import time under the hook is plain Python's: warnings, tracebacks, syntax errors.

The loader must put no frame of its own between importlib and a module's
body.  Each test runs the same program three ways, in fresh interpreters,
and compares what they print: plainly, with ``hot_restart.install()`` called
by the program itself, and under ``python -m hot_restart``.
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

TIMEOUT = 30

MODULES = ["app", "warner", "crasher", "badsyntax", "nulls"]

FILES = {
    # Identical in every run: the environment decides whether to install.
    "main.py": """\
        import os; os.environ.get("HR_INSTALL") and __import__("hot_restart").install(os.environ["HR_INSTALL"].split(","))
        import json
        import sys
        import traceback
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import app
        print(json.dumps([[str(w.message), w.category.__name__, w.filename, w.lineno] for w in caught]))
        sys.stdout.flush()

        for name in ("badsyntax", "nulls", "crasher"):
            try:
                __import__(name)
            except BaseException:
                print(traceback.format_exc())
        sys.stdout.flush()
        import again
        """,
    "app.py": """\
        import warner

        def later():
            import warner_deprecated
        later()
        """,
    "warner.py": """\
        import warnings

        def warn_from_function(level):
            warnings.warn(f"in a function, stacklevel {level}", UserWarning, stacklevel=level)

        for level in range(1, 7):
            warnings.warn(f"stacklevel {level}", UserWarning, stacklevel=level)
            warn_from_function(level)
        """,
    # Shown by the default filters only when attributed to __main__'s code.
    "warner_deprecated.py": """\
        import warnings
        warnings.warn("old api", DeprecationWarning, stacklevel=3)
        """,
    "crasher.py": """\
        def fail(x):
            return 1 / x

        fail(0)
        """,
    "badsyntax.py": """\
        def f(:
            pass
        """,
    "again.py": """\
        import warnings
        warnings.warn("imported by __main__", DeprecationWarning, stacklevel=2)
        warnings.warn("from main", UserWarning, stacklevel=2)
        def fail():
            raise KeyError("uncaught at import time")
        fail()
        """,
}


def _write(root: Path) -> None:
    for name, text in FILES.items():
        (root / name).write_text(textwrap.dedent(text))
    (root / "nulls.py").write_bytes(b"x = 1\n\0\n")


def _run(root: Path, args: list[str], **env: str) -> tuple[int, str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "HOT_RESTART"))}
    clean.update(PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1", **env)
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=root,
        env=clean,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    return proc.returncode, proc.stdout, proc.stderr


def _instrumented(root: Path) -> str:
    """Evidence that the modules really went through the hook."""
    probe = (
        "import os, json, hot_restart; hot_restart.install(os.environ['HR_INSTALL'].split(','))\n"
        "import warnings; warnings.simplefilter('ignore')\n"
        "import warner, crasher\n"
    )
    (root / "probe.py").write_text(
        probe.replace("crasher\n", "app\n") + "print(type(warner.__loader__).__name__)\n"
    )
    return _run(root, ["probe.py"], HR_INSTALL=",".join(MODULES))[1].strip()


@pytest.fixture
def program(tmp_path: Path) -> Path:
    _write(tmp_path)
    return tmp_path


def test_install_in_the_program_matches_plain_python(program: Path) -> None:
    plain = _run(program, ["main.py"])
    hooked = _run(
        program, ["main.py"], HR_INSTALL=",".join([*MODULES, "again", "warner_deprecated"])
    )
    assert plain[0] == 1 and "ZeroDivisionError" in plain[1] and "SyntaxError" in plain[1]
    assert json.loads(hooked[1].splitlines()[0]) == json.loads(plain[1].splitlines()[0])
    assert hooked == plain
    assert _instrumented(program) == "HotRestartLoader"


def _within_program(root: Path, result: tuple[int, str, str]) -> tuple[int, str, str]:
    """The output without the warnings whose stacklevel reaches past the program.

    Below ``python script.py``'s first frame there is nothing (such a warning
    is attributed to ``sys:1``); below the runner's there are the runner's own
    frames, which cannot be taken off the stack.  Every warning attributed to
    the program's own code must be the same.
    """
    status, out, err = result
    first, rest = out.split("\n", 1)
    kept = [w for w in json.loads(first) if w[2].startswith(str(root))]
    return status, json.dumps(kept) + "\n" + rest, err


def test_runner_matches_plain_python(program: Path) -> None:
    plain = _run(program, ["main.py"])
    patterns = [arg for name in [*MODULES, "again", "warner_deprecated"] for arg in ("-p", name)]
    hot = _run(program, ["-m", "hot_restart", *patterns, "main.py"])
    assert _within_program(program, hot) == _within_program(program, plain)
    assert len(json.loads(_within_program(program, plain)[1].splitlines()[0])) == 8


def test_runner_run_module_matches_python_m(program: Path) -> None:
    (program / "pkg").mkdir()
    (program / "pkg" / "__init__.py").write_text("")
    (program / "pkg" / "__main__.py").write_text((program / "main.py").read_text())
    plain = _run(program, ["-m", "pkg"])
    patterns = [arg for name in [*MODULES, "again", "warner_deprecated"] for arg in ("-p", name)]
    hot = _run(program, ["-m", "hot_restart", *patterns, "-m", "pkg"])
    assert _within_program(program, hot) == _within_program(program, plain)


BUILTINS_PROBE = """\
    import os; os.environ.get("HR_INSTALL") and __import__("hot_restart").install(os.environ["HR_INSTALL"].split(","))
    import builtins, json, runpy, sys
    before = sorted(vars(builtins))
    import helper
    runpy.run_module("helper", run_name="as_run")
    value = helper.double(2)
    print(json.dumps({"builtins": sorted(vars(builtins)) == before, "value": value,
                      "added": sorted(set(vars(builtins)) - set(before))}))
    """


@pytest.mark.parametrize("how", ["install", "runner"])
def test_builtins_gain_nothing(tmp_path: Path, how: str) -> None:
    (tmp_path / "main.py").write_text(textwrap.dedent(BUILTINS_PROBE))
    (tmp_path / "helper.py").write_text("def double(x):\n    return x * 2\n\ndouble(1)\n")
    plain = _run(tmp_path, ["main.py"])
    if how == "install":
        hot = _run(tmp_path, ["main.py"], HR_INSTALL="helper")
    else:
        hot = _run(tmp_path, ["-m", "hot_restart", "-p", "helper", "main.py"])
    assert hot == plain
    assert json.loads(plain[1]) == {"builtins": True, "value": 4, "added": []}


TRACE_PROBE = """\
    import os; os.environ.get("HR_INSTALL") and __import__("hot_restart").install(os.environ["HR_INSTALL"].split(","))
    import json, sys
    events = []

    def tracer(frame, event, arg):
        if frame.f_code.co_name == "<module>" and frame.f_code.co_filename.endswith("traced.py"):
            events.append([event, frame.f_lineno])
            return tracer
        return None

    sys.settrace(tracer)
    import traced
    sys.settrace(None)
    print(json.dumps(events))
    """

TRACED = {
    "docstring and future": '''\
        """Doc."""
        # a comment

        from __future__ import annotations
        import math

        def f(x):
            return x

        VALUE = f(1)
        ''',
    "def first": """\
        def f(x):
            return x
        VALUE = f(1)
        """,
    "comment first": """\
        # comment

        X = 1
        def f():
            return X
        """,
}


@pytest.mark.parametrize("name", sorted(TRACED))
def test_module_level_trace_events_are_plain(tmp_path: Path, name: str) -> None:
    """The handler binding added at the top of a module shows no line of its own."""
    (tmp_path / "main.py").write_text(textwrap.dedent(TRACE_PROBE))
    (tmp_path / "traced.py").write_text(textwrap.dedent(TRACED[name]))
    plain = _run(tmp_path, ["main.py"])
    hot = _run(tmp_path, ["main.py"], HR_INSTALL="traced")
    assert hot == plain
    assert json.loads(plain[1])
