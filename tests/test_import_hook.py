"""The import hook: which modules it instruments, and that they behave as plain ones.

Everything that installs the hook runs in a fresh interpreter (``run_python``):
the hook changes ``sys.meta_path`` and ``sys.modules`` for the whole process.
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

from hot_restart.patterns import PatternSet, compile_patterns

ROOT = Path(__file__).resolve().parent.parent

# Until the runtime is written, a stand-in that always lets exceptions propagate
# (which is what the real one does without a terminal).
PRELUDE = """\
import importlib.util as _ilu, sys as _sys, types as _types
if _ilu.find_spec("hot_restart.runtime.trampoline") is None:
    _stub = _types.ModuleType("hot_restart.runtime.trampoline")
    def _handle(exc, qualname, kind):
        return _handle
    _stub.handle = _handle
    _sys.modules[_stub.__name__] = _stub
del _ilu, _sys, _types
"""


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def run_python(
    tmp_path: Path,
    script: str,
    *,
    args: tuple[str, ...] = (),
    flags: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    check: bool = True,
    name: str = "main.py",
    prelude: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a fresh interpreter with ``tmp_path`` and the repo importable.

    The environment is cleaned of ``PYTHON*`` and ``HOT_RESTART*`` settings
    (e.g. ``PYTHONDONTWRITEBYTECODE``), so each test states what it needs.
    """
    path = tmp_path / name
    path.write_text((PRELUDE if prelude else "") + textwrap.dedent(script))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "HOT_RESTART"))}
    clean["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(ROOT)])
    clean.update(env or {})
    proc = subprocess.run(
        [sys.executable, *flags, str(path), *args],
        cwd=tmp_path,
        env=clean,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def run_json(tmp_path: Path, script: str, **kwargs: Any) -> Any:
    """Run ``script``; its last stdout line is JSON, returned decoded."""
    proc = run_python(tmp_path, script, **kwargs)
    return json.loads(proc.stdout.strip().splitlines()[-1])


APP = {
    "app/__init__.py": """\
        def top():
            return "top"
        """,
    "app/mod.py": """\
        import functools

        def f(x, y=2, *, z=3):
            return x + y + z

        class C:
            def method(self):
                def inner():
                    return 1
                return inner

        @functools.lru_cache
        def cached(n):
            return n * 2
        """,
    "other/__init__.py": "",
    "other/mod.py": """\
        def f():
            return 1
        """,
}


# -- patterns (pure, in process) ---------------------------------------------


def test_patterns_match_dotted_names() -> None:
    ps = compile_patterns(["app.*", "tool", "x?z.[ab]"])
    assert ps.matches("app.mod")
    assert ps.matches("app.sub.deep")
    assert ps.matches("tool")
    assert ps.matches("xyz.a")
    assert not ps.matches("tools")
    assert not ps.matches("tool.sub")
    assert not ps.matches("application")
    assert not ps.matches("xyz.c")
    assert not ps.matches("App.mod")  # module names are case sensitive


def test_pkg_star_covers_the_package_itself() -> None:
    ps = compile_patterns(["pkg.*"])
    assert ps.matches("pkg")
    assert ps.matches("pkg.mod")
    assert not ps.matches("pkgx")
    assert not ps.matches("pk")


def test_a_bare_string_is_one_pattern() -> None:
    assert compile_patterns("app.*").patterns == ("app.*",)
    assert compile_patterns("app.*").matches("app")


def test_patterns_keep_order_and_drop_duplicates() -> None:
    ps = PatternSet(["b", "a", "b"])
    assert ps.patterns == ("b", "a")
    assert ps.add(["c", "a", "c"]) == ("c",)
    assert list(ps.patterns) == ["b", "a", "c"]
    ps.remove(["a", "nope"])
    assert list(ps.patterns) == ["b", "c"]
    assert not ps.matches("a")
    ps.remove(ps.patterns)
    assert not ps and not ps.matches("b")


def test_empty_set_matches_nothing() -> None:
    assert not PatternSet().matches("")
    assert not PatternSet().matches("anything")


@pytest.mark.parametrize("bad", ["", " ", "app .*", "app.*\n", "\tapp", 5, None, b"app"])
def test_invalid_pattern_is_named_in_a_one_line_error(bad: object) -> None:
    with pytest.raises(ValueError) as info:
        compile_patterns(["ok.*", bad])  # type: ignore[list-item]
    message = str(info.value)
    assert repr(bad) in message
    assert "like 'myapp.*'" in message
    assert "\n" not in message


def test_invalid_bare_value_is_named() -> None:
    with pytest.raises(ValueError, match="42"):
        compile_patterns(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="b'app'"):
        compile_patterns(b"app")  # type: ignore[arg-type]


def test_invalid_pattern_leaves_the_set_unchanged() -> None:
    ps = PatternSet(["a"])
    with pytest.raises(ValueError):
        ps.add(["b", ""])
    assert ps.patterns == ("a",)


# -- which modules are instrumented -----------------------------------------


def test_matching_modules_are_instrumented_and_others_not(tmp_path: Path) -> None:
    write_tree(tmp_path, APP)
    result = run_json(
        tmp_path,
        """\
        import json, sys
        import hot_restart.hook as hri
        from hot_restart.loader import HotRestartLoader
        from hot_restart.transform import is_instrumented
        hri.install(["app.*"])
        import app, app.mod, other.mod
        print(json.dumps({
            "app": is_instrumented(app.top.__code__),
            "app.mod": is_instrumented(app.mod.f.__code__),
            "method": is_instrumented(app.mod.C.method.__code__),
            "other.mod": is_instrumented(other.mod.f.__code__),
            "loader": type(app.mod.__loader__).__name__,
            "spec_loader": type(app.mod.__spec__.loader).__name__,
            "other_loader": type(other.mod.__loader__).__name__,
            "handler": "__hot_restart__" in vars(app.mod),
            "path": app.__path__ == [str(__import__("pathlib").Path(app.__file__).parent)],
            "cached": app.mod.__cached__ == __import__("importlib.util").util.cache_from_source(app.mod.__file__),
        }))
        """,
    )
    assert result == {
        "app": True,
        "app.mod": True,
        "method": True,
        "other.mod": False,
        "loader": "HotRestartLoader",
        "spec_loader": "HotRestartLoader",
        "other_loader": "SourceFileLoader",
        "handler": True,
        "path": True,
        "cached": True,
    }


def test_hot_restart_itself_is_never_instrumented(tmp_path: Path) -> None:
    write_tree(tmp_path, APP)
    result = run_json(
        tmp_path,
        """\
        import json
        from hot_restart.finder import HotRestartFinder
        from hot_restart.patterns import PatternSet
        finder = HotRestartFinder(PatternSet(["*"]))
        print(json.dumps([
            finder.find_spec(name, None) is None
            for name in ("hot_restart", "hot_restart.errors", "hot_restart.runtime.state", "app")
        ]))
        """,
    )
    assert result == [True, True, True, False]


def test_namespace_sourceless_zip_frozen_and_extension_modules_pass_through(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "ns/inside.py": "def f():\n    return 1\n",  # ns is a namespace package
            "compiled_src/legacy.py": "def f():\n    return 2\n",
            "zipped/zmod.py": "def f():\n    return 3\n",
        },
    )
    result = run_json(
        tmp_path,
        """\
        import compileall, importlib.util, json, os, shutil, sys, zipfile
        # A sourceless module: only legacy.pyc, no legacy.py.
        compileall.compile_file("compiled_src/legacy.py", legacy=True, quiet=1)
        shutil.move("compiled_src/legacy.pyc", "legacy.pyc")
        with zipfile.ZipFile("z.zip", "w") as z:
            z.write("zipped/zmod.py", "zmod.py")
        sys.path.append(os.path.abspath("z.zip"))
        ext = next(
            name for name in ("_csv", "_json", "_bz2", "_lzma", "_ctypes", "_decimal", "mmap", "array")
            if name not in sys.modules
            and (spec := importlib.util.find_spec(name)) is not None
            and type(spec.loader).__name__ == "ExtensionFileLoader"
        )
        import hot_restart.hook as hri
        from hot_restart.transform import is_instrumented
        hri.install(["ns.*", "legacy", "zmod", ext, "__hello__", "__phello__.*"])
        import ns.inside, legacy, zmod
        import __hello__, __phello__.spam  # frozen (3.11+ also ships their source)
        mod = __import__(ext)
        print(json.dumps({
            "ns": type(ns.__spec__.loader).__name__,
            "ns.inside": is_instrumented(ns.inside.f.__code__),
            "legacy": [type(legacy.__loader__).__name__, legacy.f()],
            "zmod": [type(zmod.__loader__).__name__, zmod.f(), is_instrumented(zmod.f.__code__)],
            "ext": type(mod.__loader__).__name__,
            "frozen": [__hello__.__spec__.origin, __phello__.spam.__spec__.origin],
        }))
        """,
    )
    assert result == {
        "ns": "NamespaceLoader" if sys.version_info >= (3, 11) else "_NamespaceLoader",
        "ns.inside": True,
        "legacy": ["SourcelessFileLoader", 2],
        "zmod": ["zipimporter", 3, False],
        "ext": "ExtensionFileLoader",
        "frozen": ["frozen", "frozen"],
    }


# -- install / uninstall -------------------------------------------------------


def test_install_twice_is_idempotent_and_handles_undo_their_own(tmp_path: Path) -> None:
    write_tree(tmp_path, APP)
    result = run_json(
        tmp_path,
        """\
        import json, sys
        import hot_restart.hook as hri
        from hot_restart.finder import HotRestartFinder

        def finders():
            return [f for f in sys.meta_path if isinstance(f, HotRestartFinder)]

        out = {}
        h1 = hri.install(["app.*"])
        h2 = hri.install(["app.*"])
        h3 = hri.install("other.*")
        out["count"] = len(finders())
        out["first"] = sys.meta_path[0] is finders()[0]
        out["patterns"] = list(finders()[0].patterns.patterns)
        out["added"] = [list(h1.patterns), list(h2.patterns), list(h3.patterns)]
        h2.uninstall()
        out["after_h2"] = list(finders()[0].patterns.patterns)
        h3.uninstall()
        h3.uninstall()
        out["after_h3"] = list(finders()[0].patterns.patterns)
        h1.uninstall()
        out["after_h1"] = len(finders())
        with hri.install(["app.*"]):
            out["in_with"] = len(finders())
        out["after_with"] = len(finders())
        h4 = hri.install(["app.*"])
        hri.install(["other.*"])
        hri.uninstall()
        hri.uninstall()
        out["after_global"] = len(finders())
        h5 = hri.install(["app.*"])
        h4.uninstall()  # belongs to the finder that uninstall() dropped: no effect
        out["h4_stale"] = list(finders()[0].patterns.patterns)
        h5.uninstall()
        import app.mod
        out["plain_after"] = "__hot_restart__" in app.mod.f.__code__.co_names
        print(json.dumps(out))
        """,
    )
    assert result == {
        "count": 1,
        "first": True,
        "patterns": ["app.*", "other.*"],
        "added": [["app.*"], [], ["other.*"]],
        "after_h2": ["app.*", "other.*"],
        "after_h3": ["app.*"],
        "after_h1": 0,
        "in_with": 1,
        "after_with": 0,
        "after_global": 0,
        "h4_stale": ["app.*"],
        "plain_after": False,
    }


def test_finder_goes_after_pytest_assertion_rewriting(tmp_path: Path) -> None:
    result = run_json(
        tmp_path,
        """\
        import json, sys
        from importlib.machinery import PathFinder
        import hot_restart.hook as hri

        class AssertionRewritingHook:
            def find_spec(self, *args):
                return None

        sys.meta_path.insert(0, AssertionRewritingHook())
        hri.install("app.*")
        names = [type(f).__name__ for f in sys.meta_path]
        print(json.dumps([names.index("AssertionRewritingHook"), names.index("HotRestartFinder"),
                          sys.meta_path.index(PathFinder)]))
        """,
    )
    rewriter, ours, path_finder = result
    assert ours == rewriter + 1
    assert ours < path_finder


def test_invalid_arguments_change_nothing(tmp_path: Path) -> None:
    result = run_json(
        tmp_path,
        """\
        import json, sys
        import hot_restart.hook as hri
        before = list(sys.meta_path)
        errors = []
        for kwargs in ({"patterns": ["app.*", ""]}, {"patterns": ["app.*"], "stop_on": "never"}):
            try:
                hri.install(**kwargs)
            except ValueError as exc:
                errors.append(str(exc))
        print(json.dumps({"same": sys.meta_path == before, "errors": errors}))
        """,
    )
    assert result["same"]
    pattern_error, stop_on_error = result["errors"]
    assert "''" in pattern_error
    assert "'never'" in stop_on_error and "'unhandled'" in stop_on_error


def test_stop_on_is_accepted(tmp_path: Path) -> None:
    result = run_json(
        tmp_path,
        """\
        import json
        import hot_restart.hook as hri
        hri.install("app.*", stop_on="all")
        from hot_restart.runtime.state import STATE
        print(json.dumps(STATE.stop_on))
        """,
    )
    assert result == "all"


def test_already_imported_warning(tmp_path: Path) -> None:
    write_tree(tmp_path, {**APP, "app/later.py": "def f():\n    return 1\n"})
    script = """\
        import json, sys, warnings
        import app.mod, other.mod
        import hot_restart.hook as hri
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            hri.install(["app.*"])  # MARK
            import app.later  # instrumented: never named
            hri.install(["app.*", "other.*"])
            hri.install(["fresh.*"])
        print(json.dumps([[w.category.__name__, str(w.message), w.filename, w.lineno] for w in caught]))
        """
    result = run_json(tmp_path, script)
    first, second = result
    category, message, filename, lineno = first
    assert category == "RuntimeWarning"
    assert "app, app.mod already imported" in message
    assert "hot_restart.wrap_modules('app.*')" in message
    assert "other" not in message
    assert "\n" not in message
    assert filename == str(tmp_path / "main.py")
    lines = (tmp_path / "main.py").read_text().splitlines()
    assert "# MARK" in lines[lineno - 1]
    assert "app.later" not in second[1]
    assert "app, app.mod, other, other.mod already imported" in second[1]
    assert "wrap_modules(pattern)" in second[1]


# -- instrumented modules behave as plain ones -------------------------------

BOOM = {
    "app/__init__.py": "",
    "app/boom.py": """\
        class Thing:
            def explode(self, n):
                return helper(n) + 1

        def helper(n):
            items = [1, 2]
            return items[n]

        def gen():
            yield helper(5)

        def outer():
            try:
                return Thing().explode(7)
            except IndexError:
                raise KeyError("again")
        """,
    "app/toplevel.py": """\
        from app.boom import helper

        X = 1
        helper(9)
        """,
}

TRACEBACKS = """\
    import json, os, sys, traceback
    if sys.argv[1:] == ["hook"]:
        import hot_restart.hook as hri
        hri.install("app.*")
    import app.boom
    out = []
    for call in (lambda: app.boom.Thing().explode(3), lambda: next(app.boom.gen()), app.boom.outer):
        try:
            call()
        except Exception:
            out.append(traceback.format_exc())
    try:
        import app.toplevel
    except IndexError as exc:
        out.append([[f.filename, f.lineno, f.name, f.line]
                    for f in traceback.extract_tb(exc.__traceback__)
                    if f.filename.startswith(os.path.join(os.getcwd(), "app"))])
    print(json.dumps(out))
    """


def test_tracebacks_are_identical_to_plain_ones(tmp_path: Path) -> None:
    write_tree(tmp_path, BOOM)
    plain = run_json(tmp_path, TRACEBACKS)
    hooked = run_json(tmp_path, TRACEBACKS, args=("hook",))
    assert hooked == plain
    assert "line 7, in helper" in plain[0]


SYNTAX = """\
    import json, sys
    if sys.argv[1:] == ["hook"]:
        import hot_restart.hook as hri
        hri.install("app.*")
    out = []
    for name in ("app.parse_error", "app.compile_error", "app.indent_error"):
        try:
            __import__(name)
        except SyntaxError as e:
            out.append([type(e).__name__, e.msg, e.filename, e.lineno, e.offset, e.text])
    print(json.dumps(out))
    """


def test_syntax_errors_are_reported_as_by_a_plain_import(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/parse_error.py": "def f():\n    return 1\n\ndef g(:\n    pass\n",
            "app/compile_error.py": "def f():\n    return 1\n\nnonlocal x\n",
            "app/indent_error.py": "def f():\n    x = 1\n      y = 2\n",
        },
    )
    plain = run_json(tmp_path, SYNTAX)
    hooked = run_json(tmp_path, SYNTAX, args=("hook",))
    assert hooked == plain
    assert [e[3] for e in plain] == [4, 4, 3]


def test_module_api_is_unchanged(tmp_path: Path) -> None:
    write_tree(tmp_path, {**APP, "app/data.txt": "payload"})
    result = run_json(
        tmp_path,
        """\
        import importlib.resources, inspect, json, pickle, sys
        import hot_restart.hook as hri
        from hot_restart.transform import is_instrumented
        hri.install("app.*")
        import app.mod
        from app.mod import f, C
        m = app.mod
        src = open(m.__file__).read()
        inner = C().method()
        print(json.dumps({
            "instrumented": is_instrumented(f.__code__),
            "same_object": m.f is f and sys.modules["app.mod"].f is f,
            "qualnames": [f.__qualname__, C.method.__qualname__, inner.__qualname__],
            "signature": str(inspect.signature(f)),
            "get_source": m.__loader__.get_source("app.mod") == src,
            "getsource": inspect.getsource(f).startswith("def f(x, y=2, *, z=3):"),
            "pickle": pickle.loads(pickle.dumps(f)) is f and pickle.loads(pickle.dumps(C)) is C,
            "pickle_instance": type(pickle.loads(pickle.dumps(C()))) is C,
            "resources": importlib.resources.files("app").joinpath("data.txt").read_text(),
            "call": [f(1), m.cached(4), inner()],
        }))
        """,
    )
    assert result == {
        "instrumented": True,
        "same_object": True,
        "qualnames": ["f", "C.method", "C.method.<locals>.inner"],
        "signature": "(x, y=2, *, z=3)",
        "get_source": True,
        "getsource": True,
        "pickle": True,
        "pickle_instance": True,
        "resources": "payload",
        "call": [6, 8, 1],
    }


def test_reload_picks_up_an_edit_and_stays_instrumented(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/__init__.py": "", "app/mod.py": "def f():\n    return 1\n"})
    result = run_json(
        tmp_path,
        """\
        import importlib, json, os
        import hot_restart.hook as hri
        from hot_restart.transform import is_instrumented
        hri.install("app.*")
        import app.mod
        before = app.mod.f()
        st = os.stat(app.mod.__file__)
        with open(app.mod.__file__, "w") as fh:
            fh.write("def f():\\n    return 2\\n")  # same size
        os.utime(app.mod.__file__, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime
        again = importlib.reload(app.mod)
        print(json.dumps([before, again.f(), again is app.mod, is_instrumented(again.f.__code__),
                          type(again.__loader__).__name__]))
        """,
    )
    assert result == [1, 2, True, True, "HotRestartLoader"]


def test_python_dash_m_runs_instrumented_code(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/cli.py": """\
                import sys
                from hot_restart.transform import is_instrumented

                def risky():
                    return 1 / 0

                def main():
                    try:
                        risky()
                    except ZeroDivisionError:
                        return "handled"

                if __name__ == "__main__":
                    print(__name__, main(), is_instrumented(main.__code__), sys.argv[1:])
                """,
            "boot/sitecustomize.py": PRELUDE
            + "import hot_restart.hook\nhot_restart.hook.install('app.*')\n",
        },
    )
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path / "boot"), str(tmp_path), str(ROOT)])}
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "arg"],
        cwd=tmp_path,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "__main__ handled True ['arg']"


def test_concurrent_imports_from_threads(tmp_path: Path) -> None:
    files = {"app/__init__.py": ""}
    for i in range(20):
        # Each module imports the next at import time: imports nest inside imports.
        nxt = f"from app import m{i + 1}\n" if i < 19 else ""
        files[f"app/m{i}.py"] = f"{nxt}def f():\n    return {i}\n"
    write_tree(tmp_path, files)
    result = run_json(
        tmp_path,
        """\
        import importlib, json, sys, threading
        import hot_restart.hook as hri
        from hot_restart.transform import is_instrumented
        hri.install("app.*")
        results = {}
        def work(i):
            mod = importlib.import_module(f"app.m{i}")
            results[i] = (mod.f(), is_instrumented(mod.f.__code__))
        threads = [threading.Thread(target=work, args=(i % 20,)) for i in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        print(json.dumps(sorted(results.items())))
        """,
    )
    assert result == [[i, [i, True]] for i in range(20)]


def test_install_is_import_light(tmp_path: Path) -> None:
    result = run_json(
        tmp_path,
        """\
        import sys
        before = set(sys.modules)
        import hot_restart
        hot_restart.install(["x.*"], stop_on="all")
        heavy = {"inspect", "tempfile", "dis", "tokenize", "logging", "pdb", "IPython",
                 "typing", "ast", "dataclasses", "re", "importlib.util"}
        loaded = sorted(heavy & (set(sys.modules) - before))
        import json
        print(json.dumps(loaded))
        """,
        prelude=False,
    )
    assert result == []


def test_first_warm_instrumented_import_is_import_light(tmp_path: Path) -> None:
    """With the cache warm, the first instrumented module loads only hot_restart's
    small modules: no importlib package (``warnings``), ``importlib.util``
    (``contextlib``, ``collections``, ``functools``), ``weakref`` or ``ast``."""
    write_tree(tmp_path, {"one.py": "def f(x):\n    return x + 1\n"})
    script = """\
        import sys
        before = set(sys.modules)
        import hot_restart
        hot_restart.install(["one"])
        import one
        assert one.f(1) == 2 and one.__spec__.loader.__class__.__name__ == "HotRestartLoader"
        heavy = {"importlib", "importlib.util", "contextlib", "collections", "functools",
                 "weakref", "warnings", "ast", "symtable", "typing", "re", "tokenize"}
        loaded = sorted(heavy & (set(sys.modules) - before))
        import json
        print(json.dumps(loaded))
        """
    run_python(tmp_path, script, prelude=False)  # cold: builds the cache
    assert run_json(tmp_path, script, prelude=False) == []


def test_the_package_knows_its_own_submodules() -> None:
    """``from . import x`` inside hot_restart must not raise an AttributeError first."""
    import hot_restart

    package = Path(hot_restart.__file__).parent
    found = {p.stem for p in package.glob("*.py") if p.stem not in ("__init__", "__main__")}
    found |= {p.name for p in package.iterdir() if (p / "__init__.py").exists()}
    assert found == set(hot_restart._SUBMODULES)  # type: ignore[attr-defined]
