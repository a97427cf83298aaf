"""Python 3.14's new syntax and warnings, plain vs under the import hook.

* PEP 758: ``except A, B:`` without parentheses must behave the same in
  instrumented code (the transform keeps the user's handlers as they are).
* PEP 765: ``return``/``break``/``continue`` in ``finally`` is a
  ``SyntaxWarning`` emitted by the compiler. Instrumenting compiles the module
  once more than plain Python would if it were careless (parse, transform,
  compile): the warning must appear exactly as plain shows it, once on a cold
  import, not twice, and as plain, not at all when the code comes from a
  bytecode cache (CPython's own ``.pyc`` does not repeat it either); under
  ``-W error`` the import fails with the same ``SyntaxError``.

Each mode runs in a fresh interpreter in its own copy of the program, twice
(cold, then from its cache), and the two modes' outputs are compared.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(sys.version_info < (3, 14), reason="3.14 syntax (PEP 758, 765)")

FILES = {
    "app/__init__.py": "",
    "app/fin.py": """\
        import sys


        def f(x):
            try:
                return int(x)
            except ValueError, TypeError:
                return -1
            finally:
                if x == "swallow":
                    return 0


        def g():
            for i in range(3):
                try:
                    1 / 0
                finally:
                    continue
            return i


        def h(items):
            out = []
            for item in items:
                try:
                    out.append(1 // item)
                except ZeroDivisionError, TypeError:
                    out.append(sys.exc_info()[0].__name__)
                finally:
                    if item == "stop":
                        break
            return out
        """,
    "main.py": """\
        import sys
        if sys.argv[1:] == ["hook"]:
            import hot_restart
            hot_restart.install("app.*")
        import app.fin as m
        print(m.f("3"), m.f("x"), m.f(None), m.f("swallow"), m.g(), m.h([1, 0, None, "stop", 2]))
        from hot_restart.transform import is_instrumented
        print("loader:", type(m.__loader__).__name__, "instrumented:",
              all(is_instrumented(fn.__code__) for fn in (m.f, m.g, m.h)))
        """,
}


def run(folder: Path, mode: str, warnings: str) -> tuple[str, str]:
    """(stdout, stderr) of ``main.py`` in a fresh interpreter; stderr with the folder elided."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "HOT_RESTART"))}
    env["PYTHONPATH"] = os.pathsep.join([str(folder), str(ROOT)])
    proc = subprocess.run(
        [sys.executable, "-W", warnings, "main.py", *([mode] if mode == "hook" else [])],
        cwd=folder,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return proc.stdout, proc.stderr.replace(str(folder), "<dir>")


@pytest.mark.parametrize("warnings", ["default", "always", "error"])
def test_except_without_parentheses_and_finally_warnings_match_plain(
    tmp_path: Path, warnings: str
) -> None:
    outputs = {}
    for mode in ("plain", "hook"):
        folder = tmp_path / mode
        for name, text in FILES.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(textwrap.dedent(text))
        cold, warm = run(folder, mode, warnings), run(folder, mode, warnings)
        outputs[mode] = cold, warm
    (plain_cold, plain_warm), (hook_cold, hook_warm) = outputs["plain"], outputs["hook"]

    if warnings == "error":
        # The import fails as plain's does (the traceback's frames are the import side's business).
        for plain, hook in ((plain_cold, hook_cold), (plain_warm, hook_warm)):
            assert plain[1].splitlines()[-1] == "SyntaxError: 'return' in a 'finally' block"
            assert hook[1].splitlines()[-1] == plain[1].splitlines()[-1]
            assert hook[0] == plain[0] == ""
        return

    values = "3 -1 -1 0 2 [1, 'ZeroDivisionError', 'TypeError', 'TypeError']\n"
    assert (
        plain_cold[0] == plain_warm[0] == values + "loader: SourceFileLoader instrumented: False\n"
    )
    assert hook_cold[0] == hook_warm[0] == values + "loader: HotRestartLoader instrumented: True\n"
    # Warnings: once per statement on the cold import, none from the cache, exactly as plain.
    assert hook_cold[1] == plain_cold[1]
    assert hook_warm[1] == plain_warm[1] == ""
    for statement in ("return", "continue", "break"):
        assert plain_cold[1].count(f"SyntaxWarning: '{statement}' in a 'finally' block") == 1
    cache = tmp_path / "hook" / "app" / "__pycache__"
    assert any("hot_restart" in p.name for p in cache.iterdir()), "the warm run used no cache"
