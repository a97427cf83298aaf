"""Fidelity on code no one here wrote: CPython's own suites for json and
argparse pass unchanged with those modules rewritten by the import hook.

Each suite runs in a fresh interpreter without a terminal (stdin is
/dev/null, so nothing ever prompts), in the same way three times:

* plain: no hook; the baseline, which must be all OK;
* hooked, cold: ``install([module, module + ".*"])`` before anything imports
  the module; the instrumented code is compiled and written to the cache;
  ``bdb`` is loaded first, so that every handler catches and re-raises;
* hooked, warm: the same, with the code read back from hot_restart's cache,
  and no debugger: nothing is caught (no prompt is possible).

The hooked runs must give exactly the baseline: the same tests run, and the
same (empty) sets of failures and errors, the same skips with the same
reasons.  The child also proves that the code under test really was the
instrumented code (probe functions, including the pure-Python variants that
``test.test_json`` re-imports with ``_json`` blocked), and counts how many
exceptions went through a trampoline and were re-raised: the except path,
not only the happy path, is what is being compared.

Bytecode goes to a temporary ``pycache_prefix``, never next to the stdlib.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The child's result is the repr of a dict on the last stdout line, read back
# with ast.literal_eval: the child must not import json just to report.
CHILD = r"""
import sys
sys.path.insert(0, {root!r})
MODULE, SUITE, HOOKED, CATCH = {module!r}, {suite!r}, {hooked!r}, {catch!r}

def ours(name):
    return name == MODULE or name.startswith(MODULE + ".")

# Whatever site imported of the module would be left plain: evict it, so the
# import the suite triggers goes through the hook (and, plain, runs afresh too).
evicted = sorted(name for name in sys.modules if ours(name))
for name in evicted:
    del sys.modules[name]
assert not any(ours(name) for name in sys.modules)

decisions = None
if CATCH:
    # A loaded debugger makes every handler catch (and, with no terminal,
    # re-raise); without one nothing is caught at all here.
    import bdb
if HOOKED:
    import hot_restart
    hot_restart.install([MODULE, MODULE + ".*"])
    # Count the exceptions that reached a trampoline's handler: calls of
    # trampoline.handle, seen by a profile hook (a wrapper would add a frame
    # the handler sees, and the fast paths never reach _decide).
    try:
        from hot_restart.runtime import trampoline
        handle_code = trampoline.handle.__code__
    except (ImportError, AttributeError):
        pass
    else:
        decisions = 0
        def _count_handler_calls(frame, event, arg):
            global decisions
            if event == "call" and frame.f_code is handle_code:
                decisions += 1
        sys.setprofile(_count_handler_calls)

import importlib, unittest
suite = unittest.defaultTestLoader.loadTestsFromName(SUITE)
debugger = "bdb" in sys.modules  # test.test_json imports doctest, which imports pdb
devnull = open("/dev/null", "w")
result = unittest.TextTestRunner(stream=devnull, verbosity=0).run(suite)
sys.setprofile(None)
# Imported on a cache miss only; look before importing it for the probes.
transform_imported = "hot_restart.transform" in sys.modules

def resolve(path):
    head, *rest = path.split(":")
    obj = importlib.import_module(head)
    for attr in rest[0].split(".") if rest else ():
        obj = getattr(obj, attr)
    return obj

HANDLER = "__hot_restart__"
probes = {{p: HANDLER in resolve(p).__code__.co_names for p in {probes!r}}}
print(repr({{
    "evicted": evicted,
    "run": result.testsRun,
    "failures": sorted(t.id() for t, _ in result.failures),
    "errors": sorted(t.id() for t, _ in result.errors),
    "skipped": sorted((t.id(), str(why)) for t, why in result.skipped),
    "expected_failures": sorted(t.id() for t, _ in result.expectedFailures),
    "unexpected_successes": sorted(t.id() for t in result.unexpectedSuccesses),
    "details": [text[-2000:] for _, text in result.failures + result.errors][:5],
    "probes": probes,
    "decisions": decisions,
    "debugger": debugger,
    "transform_imported": transform_imported,
}}))
"""

# Functions that must be instrumented in the hooked runs, plain otherwise.
# "module:attr.path"; test.test_json's pyjson is json re-imported with the C
# accelerator blocked, which is what the PyTest half of the suite exercises.
SUITES: dict[str, tuple[str, list[str]]] = {
    "json": (
        "test.test_json",
        [
            "json:dumps",
            "json.decoder:JSONDecoder.raw_decode",
            "test.test_json:pyjson.decoder.py_scanstring",
            "test.test_json:pyjson.scanner.make_scanner",
            "test.test_json:pyjson.encoder._make_iterencode",
            "test.test_json:pyjson.encoder.py_encode_basestring_ascii",
            "test.test_json:cjson.decoder.JSONDecoder.decode",
        ],
    ),
    "argparse": (
        "test.test_argparse",
        [
            "argparse:ArgumentParser.parse_known_args",
            "argparse:ArgumentParser.error",
            "argparse:HelpFormatter._format_usage",
            "test.test_argparse:argparse.ArgumentParser.parse_args",
        ],
    ),
}

# What differs between runs by design; everything else must be equal.
RUN_SPECIFIC = ("probes", "decisions", "debugger", "transform_imported", "details")


def run_suite(module: str, pycache: Path, *, hooked: bool, catch: bool = False) -> dict[str, Any]:
    suite, probes = SUITES[module]
    script = CHILD.format(
        root=str(ROOT), module=module, suite=suite, hooked=hooked, catch=catch, probes=probes
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "HOT_RESTART"))}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-X", f"pycache_prefix={pycache}", "-c", script],
        cwd=pycache.parent,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    result: dict[str, Any] = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


def comparable(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k not in (*RUN_SPECIFIC, "seconds")}


@pytest.fixture(scope="module", params=sorted(SUITES))
def runs(request: Any, tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    module: str = request.param
    suite = SUITES[module][0]
    if importlib.util.find_spec("test.support") is None or importlib.util.find_spec(suite) is None:
        pytest.skip(f"{sys.executable} ships without CPython's test package ({suite})")
    pycache = tmp_path_factory.mktemp(f"cpython-{module}") / "pycache"
    out = {
        "plain": run_suite(module, pycache, hooked=False),
        "cold": run_suite(module, pycache, hooked=True, catch=True),
        "warm": run_suite(module, pycache, hooked=True),
    }
    print(
        f"\n{suite} on {sys.version.split()[0]}: "
        + ", ".join(
            f"{name} {out[name]['run']} run in {out[name]['seconds']}s"
            for name in ("plain", "cold", "warm")
        )
        + f"; {out['cold']['decisions']} exceptions re-raised by trampolines"
    )
    return out


def test_baseline_is_all_ok_and_plain(runs: dict[str, dict[str, Any]]) -> None:
    plain = runs["plain"]
    assert plain["failures"] == plain["errors"] == [], plain["details"]
    assert plain["unexpected_successes"] == []
    assert plain["run"] > 100
    assert not any(plain["probes"].values()), plain["probes"]
    assert plain["decisions"] is None


@pytest.mark.parametrize("cache", ["cold", "warm"])
def test_suite_passes_unchanged_with_the_module_rewritten(
    runs: dict[str, dict[str, Any]], cache: str
) -> None:
    hooked = runs[cache]
    # Nothing imported the module before the hook was in place (the child
    # evicts what site imported, and asserts that) ...
    assert hooked["evicted"] == runs["plain"]["evicted"]
    # ... so the code the suite ran is the instrumented code ...
    assert all(hooked["probes"].values()), hooked["probes"]
    # ... and it behaved exactly as the plain code: same tests, same outcomes.
    assert comparable(hooked) == comparable(runs["plain"]), hooked["details"]


def test_exceptions_went_through_the_trampolines(runs: dict[str, dict[str, Any]]) -> None:
    """The suites raise on purpose (bad JSON, bad command lines): with the
    handlers catching (the cold run, a debugger loaded) those went through
    instrumented frames' handlers, which re-raised them; with no prompt
    possible (the warm run) the runtime was never asked."""
    decisions = runs["cold"]["decisions"]
    if decisions is None:
        pytest.skip("hot_restart.runtime.trampoline.handle is gone: nothing to count with")
    assert decisions > 50
    if runs["warm"]["debugger"]:  # the suite loaded one: the handlers catch again
        assert runs["warm"]["decisions"] == decisions
    else:
        assert runs["warm"]["decisions"] == 0


def test_warm_run_used_the_cached_instrumented_code(runs: dict[str, dict[str, Any]]) -> None:
    """The second hooked run loaded the marshalled code back (no transform
    needed), and that code behaved the same (checked above)."""
    assert runs["cold"]["transform_imported"] is True
    assert runs["warm"]["transform_imported"] is False
