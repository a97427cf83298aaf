"""Differential: ``inspect.getclosurevars`` answers for instrumented code as for plain code.

Generated code reaches the runtime through names (``constants.GENERATED_NAMES``)
that getclosurevars would list (see runtime/closurevars.py).  Each function
shape is asked plain and under the hook, with inspect imported before the
instrumented module (amended when the module loads) and after it (amended by
the import watcher as inspect loads), in a fresh interpreter each.  A function
that records its entry arguments and uses ``pop`` itself keeps ``pop``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import child
import pytest

FUNCS = """\
import math

LIMIT = 3


def uses_globals(x):
    return math.floor(x) + LIMIT + len(str(x))


def rebinds_and_pops(items, n=1):
    items = list(items)
    n = n or LIMIT
    return items.pop(), n, entry_arguments_elsewhere


def make_closure():
    seen = []

    def closure(x):
        seen.append(x)
        return LIMIT

    return closure


class Thing:
    def method(self, x):
        return self, abs(x), undefined_name


def gen(n):
    yield from range(n)


entry_arguments_elsewhere = 0
"""

MAIN = """\
import json, sys
mode, order, folder = sys.argv[1:]
sys.path.insert(0, folder)
if order == "before":
    import inspect
if mode == "hook":
    import hot_restart
    hot_restart.install("app.*")
from app import funcs
if order == "after":
    import inspect
out = {}
for name, fn in [("uses_globals", funcs.uses_globals), ("rebinds_and_pops", funcs.rebinds_and_pops),
                 ("closure", funcs.make_closure()), ("method", funcs.Thing().method),
                 ("gen", funcs.gen), ("lambda", lambda: funcs)]:
    cv = inspect.getclosurevars(fn)
    out[name] = [sorted(cv.nonlocals), sorted(cv.globals), sorted(cv.builtins), sorted(cv.unbound)]
g = inspect.getclosurevars
out["itself"] = [g.__name__, g.__qualname__, g.__module__, g.__doc__, str(inspect.signature(g))]
try:
    g(len)
except TypeError as e:
    out["not a function"] = str(e)
print(json.dumps(out, sort_keys=True))
"""


def run(folder: Path, *args: str) -> Any:
    return json.loads(child.run(MAIN, *args, folder)[-1])


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("closurevars")
    (folder / "app").mkdir()
    (folder / "app" / "__init__.py").write_text("")
    (folder / "app" / "funcs.py").write_text(FUNCS)
    return folder


@pytest.mark.parametrize("order", ["before", "after"])
def test_getclosurevars_as_for_the_plain_module(program: Path, order: str) -> None:
    plain = run(program, "plain", order)
    hooked = run(program, "hook", order)
    assert hooked == plain
    # The program's own ``pop`` and its other names are still there.
    assert "pop" in plain["rebinds_and_pops"][3]
    assert plain["method"][3] == ["undefined_name"]


def test_the_hook_did_instrument_the_functions(program: Path) -> None:
    """Guards the comparison above: without the amendment the answers differ."""
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import hot_restart, inspect; "
        "hot_restart.install('app.*'); from app import funcs; "
        "print(sorted(inspect.getclosurevars.__wrapped__(funcs.rebinds_and_pops).globals))"
    )
    assert "__hot_restart__" in child.run(script, program)[-1]
