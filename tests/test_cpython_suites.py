"""Fidelity on code no one here wrote: CPython's own test suites for json and
argparse pass unchanged with those modules rewritten by the import hook.

Each suite runs twice in a fresh interpreter without a terminal (so nothing
prompts): once plain, once with the hook installed before anything imports
the module; the counts of tests run, failures and errors must be equal.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from scenario import ROOT

SCRIPT = """
import json as _json_for_output, sys
sys.path.insert(0, {root!r})
for name in [m for m in sys.modules if m == {module!r} or m.startswith({module!r} + ".")]:
    del sys.modules[name]  # site may have imported it: the hook must see the import
if {hooked!r}:
    import hot_restart
    hot_restart.install([{module!r}, {module!r} + ".*"])
import unittest
import {module} as target
from hot_restart.transform import is_instrumented
probe = {probe}
suite = unittest.defaultTestLoader.loadTestsFromName({suite!r})
result = unittest.TextTestRunner(stream=open("/dev/null", "w"), verbosity=0).run(suite)
print(_json_for_output.dumps({{
    "instrumented": is_instrumented(probe.__code__),
    "run": result.testsRun,
    "failures": len(result.failures),
    "errors": len(result.errors),
    "skipped": len(result.skipped),
}}))
"""

SUITES = {
    "json": ("test.test_json", "target.decoder.JSONDecoder.raw_decode"),
    "argparse": ("test.test_argparse", "target.ArgumentParser.parse_args"),
}


def run_suite(module: str, hooked: bool, cwd: Path) -> dict[str, object]:
    suite, probe = SUITES[module]
    script = SCRIPT.format(root=str(ROOT), module=module, hooked=hooked, probe=probe, suite=suite)
    done = subprocess.run(
        [sys.executable, "-c", script],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,  # CPython's tests leave files in the working folder
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("module", sorted(SUITES))
def test_cpython_suite_passes_with_the_module_rewritten(module: str, tmp_path: Path) -> None:
    try:
        import test.support  # noqa: F401
    except ImportError:
        pytest.skip("this interpreter ships without CPython's test package")
    plain = run_suite(module, hooked=False, cwd=tmp_path)
    hooked = run_suite(module, hooked=True, cwd=tmp_path)
    assert plain["instrumented"] is False and hooked["instrumented"] is True
    assert plain["failures"] == plain["errors"] == 0
    assert {k: v for k, v in hooked.items() if k != "instrumented"} == {
        k: v for k, v in plain.items() if k != "instrumented"
    }
    assert isinstance(hooked["run"], int) and hooked["run"] > 100
