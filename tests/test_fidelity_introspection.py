"""Differential: warnings and ``inspect`` see an instrumented module as a plain one.

A module of calls through every kind of function the transform rewrites
(plain, method, classmethod, closure, generator, ``functools.wraps``
decorator, coroutine) ends in ``warnings.warn(..., stacklevel=N)``; for every
``N`` from 1 to past the top of the stack, the warning's category, file, line
and message are compared between a plain run and one under the import hook
(``hot_restart.install``). So are ``inspect``'s answers about each function
(signature, getfile, getsourcefile, getsource, getsourcelines, getmodule,
getdoc, unwrap, getfullargspec, getclosurevars, the is* predicates) and a
warning raised by a module body at import at every stacklevel (whose frames
are importlib's and the loader's business). Each mode runs in a fresh
interpreter; the child prints JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

FILES = {
    "app/__init__.py": "",
    "app/deep.py": '''\
        import functools
        import warnings


        def warn_at(level):
            warnings.warn(f"level {level}", UserWarning, stacklevel=level)


        def plain_fn(level):
            warn_at(level)


        class Thing:
            """A class."""

            def method(self, level):
                plain_fn(level)

            @classmethod
            def cls_method(cls, level):
                Thing().method(level)


        def make_closure():
            seen = []

            def closure(level):
                seen.append(level)
                Thing.cls_method(level)

            return closure


        def gen(level):
            yield make_closure()(level)


        def decorator(fn):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                return fn(*args, **kwargs)

            return wrapper


        @decorator
        def decorated(level, *rest, key: int = 3, **options) -> None:
            """Decorated: inspect.unwrap reaches this one."""
            list(gen(level))


        async def coro(level):
            decorated(level)


        def entry(level):
            try:
                coro(level).send(None)
            except StopIteration:
                pass
        ''',
    "app/importer.py": """\
        import sys

        from app import warner
        """,
    "app/warner.py": """\
        import sys
        import warnings

        warnings.warn("at import", DeprecationWarning, stacklevel=int(sys.argv[2]))
        """,
    "main.py": """\
        import inspect, json, sys, warnings
        if sys.argv[1] == "hook":
            import hot_restart
            hot_restart.install("app.*")
        from app import deep

        def where(w):
            return [w.category.__name__, w.filename, w.lineno, str(w.message)]

        out = {"warnings": {}, "inspect": {}}
        for level in range(1, 16):  # the stack is 12 deep at warn_at
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                deep.entry(level)
            out["warnings"][level] = [where(w) for w in caught]
        names = ["warn_at", "plain_fn", "Thing", "make_closure", "gen", "decorated", "coro",
                 "entry", "decorator"]
        for name in names:
            obj = getattr(deep, name)
            target = inspect.unwrap(obj)
            info = {
                "signature": str(inspect.signature(obj)),
                "file": inspect.getfile(target),
                "sourcefile": inspect.getsourcefile(target),
                "source": inspect.getsource(target),
                "lines": inspect.getsourcelines(target)[1],
                "module": inspect.getmodule(target).__name__,
                "doc": inspect.getdoc(obj),
                "unwrap": inspect.unwrap(obj).__qualname__,
                "is": [inspect.isfunction(obj), inspect.isgeneratorfunction(target),
                       inspect.iscoroutinefunction(target), inspect.isclass(obj)],
            }
            if inspect.isfunction(target):
                info["fullargspec"] = str(inspect.getfullargspec(target))
            out["inspect"][name] = info
        closure = deep.make_closure()
        out["inspect"]["Thing.method"] = {"source": inspect.getsource(deep.Thing.method),
                                          "signature": str(inspect.signature(deep.Thing.method))}
        out["inspect"]["closure"] = {"source": inspect.getsource(closure),
                                     "lines": inspect.getsourcelines(closure)[1]}
        out["closurevars"] = {}
        for name, fn in [*((n, inspect.unwrap(getattr(deep, n))) for n in names if n != "Thing"),
                         ("closure", closure)]:
            cv = inspect.getclosurevars(fn)
            out["closurevars"][name] = [sorted(cv.nonlocals), sorted(cv.globals),
                                        sorted(cv.builtins), sorted(cv.unbound)]
        print(json.dumps(out, sort_keys=True))
        """,
    "imp.py": """\
        import json, sys, warnings
        if sys.argv[1] == "hook":
            import hot_restart
            hot_restart.install("app.*")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import app.importer
        print(json.dumps([[w.filename, w.lineno] for w in caught]))
        """,
}


def run(folder: Path, script: str, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "HOT_RESTART"))}
    env["PYTHONPATH"] = os.pathsep.join([str(folder), str(ROOT)])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    proc = subprocess.run(
        [sys.executable, script, *args],
        cwd=folder,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("introspection")
    for name, text in FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text))
    return folder


@pytest.fixture(scope="module")
def both(program: Path) -> tuple[Any, Any]:
    return run(program, "main.py", "plain"), run(program, "main.py", "hook")


def test_warnings_at_every_stacklevel_name_the_same_file_and_line(both: Any, program: Path) -> None:
    plain, hooked = both
    assert hooked["warnings"] == plain["warnings"]
    deep = str(program / "app" / "deep.py")
    assert plain["warnings"]["1"] == [["UserWarning", deep, 6, "level 1"]]
    # Past the top of the stack: ("sys", 1) before 3.14, ("<sys>", 0) since.
    assert plain["warnings"]["15"][0][1] in ("sys", "<sys>")


def test_inspect_answers_as_for_the_plain_module(both: Any) -> None:
    plain, hooked = both
    assert hooked["inspect"] == plain["inspect"]
    assert plain["inspect"]["decorated"]["signature"] == (
        "(level, *rest, key: int = 3, **options) -> None"
    )


def test_getclosurevars_as_for_the_plain_module(both: Any) -> None:
    plain, hooked = both
    assert hooked["closurevars"] == plain["closurevars"]


@pytest.mark.parametrize("stacklevel", [1, 2, 3, 4, 5])
def test_import_time_warning_at_every_stacklevel(program: Path, stacklevel: int) -> None:
    plain = run(program, "imp.py", "plain", str(stacklevel))
    hooked = run(program, "imp.py", "hook", str(stacklevel))
    assert hooked == plain
