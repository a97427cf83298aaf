"""``python -m hot_restart``: the program runs as under ``python``.

Without a terminal every difference would be a bug, so each test runs the
same program both ways and compares: output, traceback, exit status.  With
a terminal (pexpect), a crash opens the debugger, the fix is picked up, and
the program completes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from scenario import ROOT, debugger

TIMEOUT = 30  # a python start-up takes well under a second; this only catches hangs


def env(**extra: str) -> dict[str, str]:
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "HOT_RESTART_DEBUGGER": debugger(),
        "HOME": os.environ.get("HOME", "/"),
    }
    return {**base, **extra}


def run(
    args: list[str], cwd: Path, *, flags: tuple[str, ...] = (), **extra: str
) -> subprocess.CompletedProcess[str]:
    """``python [flags] args`` with no terminal: stdin from /dev/null, output captured."""
    return subprocess.run(
        [sys.executable, *flags, *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env(**extra),
        timeout=TIMEOUT,
    )


def both(args: list[str], cwd: Path, *, flags: tuple[str, ...] = (), **extra: str):
    """The program under python, then under python -m hot_restart."""
    plain = run(args, cwd, flags=flags, **extra)
    hot = run(["-m", "hot_restart", *args], cwd, flags=flags, **extra)
    return plain, hot


def same(plain: subprocess.CompletedProcess[str], hot: subprocess.CompletedProcess[str]) -> None:
    assert (hot.returncode, hot.stdout, hot.stderr) == (
        plain.returncode,
        plain.stdout,
        plain.stderr,
    )


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


# A script and its own modules.  It prints what python set up for it as one
# JSON line, then ends the way argv[1] says.
PROBE = """\
    import atexit
    import json
    import pickle
    import sys

    import helper
    import pkg.mod
    from hot_restart.transform import is_instrumented


    class Point:
        def __init__(self, x):
            self.x = x


    def own():
        return 1


    def at_exit():
        # Run at shut-down, after any traceback: __main__ is still this script.
        point = pickle.loads(pickle.dumps(Point(3)))
        print("atexit:", type(point).__qualname__, point.x, sys.modules["__main__"].own is own)


    atexit.register(at_exit)
    facts = {
        "argv": sys.argv,
        "name": __name__,
        "file": __file__,
        "spec": repr(__spec__),
        "path": sys.path,
        "main_is_this": sys.modules["__main__"].__dict__ is globals(),
        "builtins": type(__builtins__).__name__,
        "pickled": pickle.loads(pickle.dumps(Point(2))).x,
        "instrumented": {
            "script": is_instrumented(own.__code__),
            "helper": is_instrumented(helper.divide.__code__),
            "pkg.mod": is_instrumented(pkg.mod.double.__code__),
            "json": is_instrumented(json.dumps.__code__),
        },
    }
    print(json.dumps(facts))
    mode = sys.argv[1]
    if mode == "raise":
        helper.divide(1, 0)
    elif mode == "exit":
        sys.exit(int(sys.argv[2]))
    elif mode == "exit-message":
        sys.exit("goodbye")
    elif mode == "interrupt":
        helper.interrupt()
    """

HELPERS = {
    "helper.py": """\
        def divide(a, b):
            return a / b


        def interrupt():
            raise KeyboardInterrupt
        """,
    "pkg/__init__.py": "",
    "pkg/mod.py": """\
        def double(x):
            return 2 * x
        """,
}


def script_tree(folder: Path) -> Path:
    write_tree(folder, {"prog.py": PROBE, **HELPERS})
    return folder / "prog.py"


def facts(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    first = result.stdout.splitlines()[0]
    return json.loads(first)


def same_but_instrumented(
    plain: subprocess.CompletedProcess[str], hot: subprocess.CompletedProcess[str]
) -> None:
    """Identical runs, but for the JSON line's "instrumented", checked apart."""
    assert split_instrumented(hot)[0] == split_instrumented(plain)[0]
    assert (hot.returncode, hot.stdout.split("\n", 1)[1], hot.stderr) == (
        plain.returncode,
        plain.stdout.split("\n", 1)[1],
        plain.stderr,
    )


def split_instrumented(result: subprocess.CompletedProcess[str]):
    """The facts but for what is instrumented, which is the point of the runner."""
    found = facts(result)
    return {k: v for k, v in found.items() if k != "instrumented"}, found["instrumented"]


MODES = [
    pytest.param(["ok"], 0, id="completes"),
    pytest.param(["raise"], 1, id="exception"),
    pytest.param(["exit", "3"], 3, id="sys.exit(3)"),
    pytest.param(["exit-message"], 1, id="sys.exit(message)"),
    pytest.param(["interrupt"], None, id="KeyboardInterrupt"),
]


@pytest.mark.parametrize(("mode", "status"), MODES)
def test_script_runs_as_under_python(tmp_path, mode, status):
    # Run from elsewhere: sys.path[0] must be the script's folder, not ours.
    script_tree(tmp_path / "proj")
    plain, hot = both(["proj/prog.py", *mode, "-p", "x", "-m", "y", "--help"], tmp_path)
    if status is not None:
        assert plain.returncode == status
    else:  # python dies of SIGINT after an uncaught KeyboardInterrupt
        assert plain.returncode in (-2, 130)
    same_facts, instrumented = split_instrumented(hot)
    assert same_facts == split_instrumented(plain)[0]
    assert same_facts["argv"] == ["proj/prog.py", *mode, "-p", "x", "-m", "y", "--help"]
    assert same_facts["file"] == str(tmp_path / "proj" / "prog.py")
    assert same_facts["path"][0] == str(tmp_path / "proj")
    assert same_facts["name"] == "__main__"
    assert same_facts["main_is_this"] is True
    # Every line of output, every character of the traceback, the exit status.
    same_but_instrumented(plain, hot)
    assert "atexit: Point 3 True" in hot.stdout
    assert instrumented == {"script": True, "helper": True, "pkg.mod": True, "json": False}
    assert split_instrumented(plain)[1] == dict.fromkeys(instrumented, False)


def test_exception_traceback_shows_the_program_only(tmp_path):
    script_tree(tmp_path)
    plain, hot = both(["prog.py", "raise"], tmp_path)
    same_but_instrumented(plain, hot)
    assert hot.stderr.startswith("Traceback (most recent call last):\n")
    assert 'prog.py", line' in hot.stderr
    assert 'helper.py", line 2, in divide' in hot.stderr
    assert hot.stderr.endswith("ZeroDivisionError: division by zero\n")
    assert "hot_restart" not in hot.stderr
    assert "runpy" not in hot.stderr


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        (["pkg.*"], {"script": True, "helper": False, "pkg.mod": True, "json": False}),
        (["helper"], {"script": True, "helper": True, "pkg.mod": False, "json": False}),
        (["helper", "pkg.*"], {"script": True, "helper": True, "pkg.mod": True, "json": False}),
        (["json"], {"script": True, "helper": False, "pkg.mod": False, "json": True}),
    ],
)
def test_patterns_choose_what_is_instrumented(tmp_path, patterns, expected):
    script_tree(tmp_path)
    flags = [arg for p in patterns for arg in ("-p", p)]
    hot = run(["-m", "hot_restart", *flags, "prog.py", "ok"], tmp_path)
    assert hot.returncode == 0, hot.stderr
    assert hot.stderr == ""
    assert split_instrumented(hot)[1] == expected


def test_symlinked_script_has_its_real_folder_on_sys_path(tmp_path):
    script_tree(tmp_path / "real")
    (tmp_path / "links").mkdir()
    (tmp_path / "links" / "prog.py").symlink_to(tmp_path / "real" / "prog.py")
    plain, hot = both(["links/prog.py", "ok"], tmp_path)
    same_facts, instrumented = split_instrumented(hot)
    assert same_facts == split_instrumented(plain)[0]
    assert same_facts["path"][0] == str(tmp_path / "real")
    assert same_facts["file"] == str(tmp_path / "links" / "prog.py")
    assert instrumented["helper"] is True


@pytest.mark.skipif(sys.version_info < (3, 11), reason="python -P is new in 3.11")
def test_safe_path_leaves_sys_path_alone(tmp_path):
    write_tree(tmp_path, {"proj/prog.py": "import sys; print(sys.path)\n"})
    plain, hot = both(["proj/prog.py"], tmp_path, flags=("-P",))
    same(plain, hot)
    assert str(tmp_path / "proj") not in plain.stdout


def test_modules_named_like_the_standard_library_do_not_break_the_runner(tmp_path):
    """The runner's own imports must not pick up the program's ``ast.py``."""
    shadow = "raise ImportError('the program\\'s own module, not the standard library')\n"
    write_tree(
        tmp_path,
        {
            "prog.py": "import helper\nprint(helper.f())\n",
            "helper.py": "def f():\n    return 'ran'\n",
            **{f"{name}.py": shadow for name in ("ast", "argparse", "pathlib", "typing")},
        },
    )
    plain, hot = both(["prog.py"], tmp_path)
    same(plain, hot)
    assert hot.stdout == "ran\n"


def test_a_script_imported_back_by_its_modules_is_instrumented_there_too(tmp_path):
    """``python app.py`` whose modules do ``from app import ...``: a second copy, as under python."""
    write_tree(
        tmp_path,
        {
            "app.py": """\
                import views
                from hot_restart.transform import is_instrumented


                def handler():
                    return 1


                if __name__ == "__main__":
                    import app

                    print(app is not __import__("__main__"), views.app_handler is app.handler)
                    print(is_instrumented(handler.__code__), is_instrumented(app.handler.__code__))
                """,
            "views.py": """\
                from app import handler as app_handler
                """,
        },
    )
    plain, hot = both(["app.py"], tmp_path)
    assert plain.returncode == hot.returncode == 0, hot.stderr
    assert plain.stdout == "True True\nFalse False\n"
    assert hot.stdout == "True True\nTrue True\n"
    assert hot.stderr == plain.stderr == ""


SPAWN = """\
    import multiprocessing
    import sys


    def square(x):
        return x * x


    if __name__ == "__main__":
        with multiprocessing.get_context(sys.argv[1]).Pool(2) as pool:
            print(pool.map(square, range(5)))
    """


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
@pytest.mark.parametrize("how", ["script", "module"])
def test_multiprocessing_finds_the_programs_main(tmp_path, method, how):
    """Children re-import ``__main__`` from its ``__file__`` or ``__spec__``."""
    write_tree(tmp_path, {"prog.py": SPAWN, "pkg/__init__.py": "", "pkg/prog.py": SPAWN})
    args = ["prog.py", method] if how == "script" else ["-m", "pkg.prog", method]
    plain, hot = both(args, tmp_path)
    assert plain.stdout == "[0, 1, 4, 9, 16]\n"
    same(plain, hot)


# A package run with -m: relative imports, __spec__, a module outside it.
PACKAGE_PROBE = """\
    import atexit
    import json
    import pickle
    import sys

    import other
    from .. import util
    from . import helpers
    from hot_restart.transform import is_instrumented


    class Point:
        def __init__(self, x):
            self.x = x


    def own():
        return 1


    def at_exit():
        point = pickle.loads(pickle.dumps(Point(3)))
        print("atexit:", type(point).__qualname__, point.x, sys.modules["__main__"].own is own)


    atexit.register(at_exit)
    print(json.dumps({
        "argv": sys.argv,
        "name": __name__,
        "file": __file__,
        "spec": [__spec__.name, __spec__.origin, __spec__.parent],
        "package": __package__,
        "path": sys.path,
        "main_is_this": sys.modules["__main__"].__dict__ is globals(),
        "builtins": type(__builtins__).__name__,
        "pickled": pickle.loads(pickle.dumps(Point(2))).x,
        "instrumented": {
            "main": is_instrumented(own.__code__),
            "util": is_instrumented(util.divide.__code__),
            "helpers": is_instrumented(helpers.interrupt.__code__),
            "other": is_instrumented(other.f.__code__),
            "json": is_instrumented(json.dumps.__code__),
        },
    }))
    mode = sys.argv[1]
    if mode == "raise":
        util.divide(1, 0)
    elif mode == "exit":
        sys.exit(int(sys.argv[2]))
    elif mode == "exit-message":
        sys.exit("goodbye")
    elif mode == "interrupt":
        helpers.interrupt()
    """


def package_tree(root: Path) -> None:
    write_tree(
        root,
        {
            "app/__init__.py": "",
            "app/util.py": "def divide(a, b):\n    return a / b\n",
            "app/cli/__init__.py": "",
            "app/cli/main.py": PACKAGE_PROBE,
            "app/cli/__main__.py": PACKAGE_PROBE,
            "app/cli/helpers.py": "def interrupt():\n    raise KeyboardInterrupt\n",
            "other.py": "def f():\n    return 1\n",
        },
    )


@pytest.mark.parametrize("module", ["app.cli.main", "app.cli"])
@pytest.mark.parametrize(("mode", "status"), MODES)
def test_module_runs_as_under_python_m(tmp_path, module, mode, status):
    package_tree(tmp_path)
    plain, hot = both(["-m", module, *mode, "-p", "x"], tmp_path)
    if status is not None:
        assert plain.returncode == status, plain.stderr
    else:
        assert plain.returncode in (-2, 130)
    same_facts, instrumented = split_instrumented(hot)
    assert same_facts == split_instrumented(plain)[0]
    file = "main.py" if module == "app.cli.main" else "__main__.py"
    assert same_facts["argv"] == [str(tmp_path / "app" / "cli" / file), *mode, "-p", "x"]
    assert same_facts["name"] == "__main__"
    assert same_facts["package"] == "app.cli"
    assert same_facts["path"][0] == str(tmp_path)
    assert same_facts["main_is_this"] is True
    # The traceback is python -m's to the character, runpy's frames included.
    same_but_instrumented(plain, hot)
    assert "atexit: Point 3 True" in hot.stdout
    # By default the module's top-level package, and nothing else.
    assert instrumented == {
        "main": True,
        "util": True,
        "helpers": True,
        "other": False,
        "json": False,
    }


@pytest.mark.parametrize("module", ["app.cli.main", "app.cli"])
def test_module_patterns_replace_the_default(tmp_path, module):
    package_tree(tmp_path)
    hot = run(["-m", "hot_restart", "-p", "other", "-m", module, "ok"], tmp_path)
    assert hot.returncode == 0, hot.stderr
    assert hot.stderr == ""
    # The module run is instrumented either way, as a script is.
    assert split_instrumented(hot)[1] == {
        "main": True,
        "util": False,
        "helpers": False,
        "other": True,
        "json": False,
    }


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["missing.py"], id="missing script"),
        pytest.param(["-m", "no_such_module"], id="missing module"),
        pytest.param(["-m", "app.no_such_module"], id="missing submodule"),
        pytest.param(["-m", "no_such_package.module"], id="missing package"),
        pytest.param(["-m", "not a name"], id="not a module name"),
        pytest.param(["-m", ".relative"], id="relative module name"),
        pytest.param(["-m", "app.no_such_module", "-p", "x"], id="missing module, program flags"),
        pytest.param(["-m", "app"], id="package without __main__"),
        pytest.param(["parse_error.py"], id="syntax error"),
        pytest.param(["compile_error.py"], id="syntax error found by the compiler"),
    ],
)
def test_startup_errors_are_pythons(tmp_path, args):
    package_tree(tmp_path)
    bad = {
        "parse_error.py": "print('never')\ndef f(:\n    pass\n",
        "compile_error.py": "print('never')\nx = 1\nnonlocal x\n",
    }
    write_tree(tmp_path, {**bad, **{f"app/{k}": v for k, v in bad.items()}})
    plain, hot = both(args, tmp_path)
    assert plain.returncode in (1, 2)
    assert plain.stderr
    same(plain, hot)


def test_syntax_error_in_the_module_run_with_m(tmp_path):
    """As python -m's report, but for the import system's own frames.

    python shows importlib compiling the module; here the runner's loader
    compiled it, and its frames are not shown either.
    """
    write_tree(tmp_path, {"app/__init__.py": "", "app/bad.py": "x = 1\ndef f(:\n    pass\n"})
    plain, hot = both(["-m", "app.bad"], tmp_path)
    assert plain.returncode == hot.returncode == 1
    assert hot.stdout == plain.stdout == ""
    importlib_free = [line for line in plain.stderr.splitlines() if "<frozen importlib" not in line]
    assert importlib_free != plain.stderr.splitlines()
    assert hot.stderr.splitlines() == importlib_free


@pytest.mark.parametrize(
    "helper",
    [
        pytest.param("x = 1\n1 / 0\n", id="exception"),
        pytest.param("x = 1\ndef f(:\n    pass\n", id="syntax error"),
        pytest.param("x = 1\nnonlocal x\n", id="syntax error found by the compiler"),
    ],
)
def test_error_importing_an_instrumented_module_is_reported_as_by_python(tmp_path, helper):
    """No import-system or hot_restart frames between the import and the error."""
    write_tree(
        tmp_path,
        {"prog.py": "print('start')\nimport helper\n", "helper.py": helper},
    )
    plain, hot = both(["prog.py"], tmp_path)
    assert plain.returncode == 1
    assert 'helper.py", line 2' in plain.stderr
    same(plain, hot)


def test_exception_chains_are_reported_as_by_python(tmp_path):
    write_tree(
        tmp_path,
        {
            "prog.py": """\
                import helper
                try:
                    import broken
                except ZeroDivisionError as e:
                    try:
                        helper.convert(e)
                    except ValueError:
                        helper.fail()
                """,
            "helper.py": """\
                def convert(e):
                    raise ValueError("outer") from e


                def fail():
                    raise RuntimeError("last")
                """,
            "broken.py": "1 / 0\n",
        },
    )
    plain, hot = both(["prog.py"], tmp_path)
    assert "The above exception was the direct cause" in plain.stderr
    assert "During handling of the above exception" in plain.stderr
    same(plain, hot)


def test_help_documents_patterns(tmp_path):
    result = run(["-m", "hot_restart", "--help"], tmp_path)
    assert result.returncode == 0
    assert result.stderr == ""
    for needle in ("-p PATTERN", "fnmatch", "-m MODULE", "--install-pth", "--status"):
        assert needle in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--no-such-flag", "prog.py"], "unrecognized arguments: --no-such-flag"),
        ([], "give a script to run, or -m MODULE"),
        (["-m"], "argument -m: expected one argument"),
        (["-p"], "argument -p/--pattern: expected one argument"),
        (["--stop-on", "sometimes", "prog.py"], "argument --stop-on: invalid choice"),
        (["-p", "a b", "prog.py"], "invalid pattern 'a b'"),
        (["-p", "a b", "-m", "app"], "invalid pattern 'a b'"),
    ],
)
def test_usage_errors_exit_2(tmp_path, args, message):
    write_tree(tmp_path, {"prog.py": "print('ran')\n", "app/__init__.py": ""})
    result = run(["-m", "hot_restart", *args], tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("usage: python -m hot_restart")
    assert f"python -m hot_restart: error: {message}" in result.stderr


# With a terminal: the crash opens the debugger, the fix is picked up.


def test_script_and_its_helper_are_fixed_and_continue(session):
    s = session("runner_script", args=["-m", "hot_restart", "prog.py", "first", "second"])
    before = s.prompt()
    assert "args: ['first', 'second']" in before
    assert "helper.average raised ZeroDivisionError" in before
    s.fix("helper_2.py", target="helper.py")
    s.send("c")
    s.expect(r"average: 4\.0")
    before = s.prompt()
    assert "__main__.label raised TypeError" in before
    s.fix()
    s.send("c")
    s.expect("label: item 3")
    s.expect("done")
    s.finish(0)


def test_module_and_its_package_are_fixed_and_continue(session):
    s = session("runner_module", main="shop/cli.py", args=["-m", "hot_restart", "-m", "shop.cli"])
    before = s.prompt()
    assert "shop.prices.total raised ZeroDivisionError" in before
    s.fix("prices_2.py", target="shop/prices.py")
    s.send("c")
    s.expect(r"total: 5\.50")
    before = s.prompt()
    assert "__main__.count_items raised AttributeError" in before
    s.fix()
    s.send("c")
    s.expect("count: 1")
    s.finish(0)


WARNS = """\
    import warnings

    def helper(level):
        warnings.warn(f"in a function, stacklevel {level}", UserWarning, stacklevel=level)

    for level in range(1, 6):
        warnings.warn(f"top level, stacklevel {level}", UserWarning, stacklevel=level)
        helper(level)
    warnings.warn("deprecated below the program", DeprecationWarning, stacklevel=2)
    """


@pytest.mark.parametrize("mode", ["script", "module"])
def test_warnings_below_the_program_name_what_python_names(tmp_path, mode):
    # Beyond the program's first frame python has nothing to name: 'sys:1'
    # ('<sys>:0' on 3.13), never a frame of the runner (under -m, runpy's
    # frames first, as python -m).
    write_tree(tmp_path, {"warns.py": WARNS})
    args = ["warns.py"] if mode == "script" else ["-m", "warns"]
    plain, hot = both(args, tmp_path, flags=("-W", "always"))
    assert "sys:1" in plain.stderr or "<sys>:0" in plain.stderr
    same(plain, hot)


ANNOTATED_MAIN = """\
import inspect
import sys

x: int = 1
y: "str"
print("__annotations__" in globals(), inspect.get_annotations(sys.modules[__name__]))
"""


@pytest.mark.parametrize("how", ["script", "module"])
def test_main_module_annotations_are_pythons(tmp_path, how):
    """3.10-3.13's __main__ starts with an empty ``__annotations__``; 3.14's has
    none, and a dict there would hide what its ``__annotate__`` gives (PEP 649)."""
    (tmp_path / "annotated.py").write_text(ANNOTATED_MAIN)
    args = ["annotated.py"] if how == "script" else ["-m", "annotated"]
    plain, hot = both(args, tmp_path)
    assert "'x': <class 'int'>, 'y': 'str'" in plain.stdout, plain.stderr
    same(plain, hot)
