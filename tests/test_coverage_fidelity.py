"""coverage.py measures an instrumented module as it measures the plain one.

The trampolines add code (a ``try`` around each body, a guard that records
entry arguments, a handler that asks the runtime) that sends tracers and
``sys.monitoring`` events of their own: an exception that leaves an
instrumented frame shows ``EXCEPTION_HANDLED``, ``RERAISE`` and ``BRANCH``
events that the plain frame has not.  What users see of that is their
coverage report, so the real coverage.py runs the same program plain and
with its module instrumented, with branch measurement, on each of its
cores this Python has (``sysmon`` is the default on 3.14, where it measures
branches; on 3.12/3.13 it measures lines only and coverage falls back for
branches), with a prompt possible (the handlers call the runtime) and not;
executed and missing lines and branches must be the same.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from child import env

pytest.importorskip("coverage")

MOD = """\
import contextlib


def rebinds(x, flag=None):
    flag = flag or 1
    if x > 2:
        x = x - 1
    return x + flag


def raises(n):
    if n:
        raise ValueError(n)
    return n


def catches(n):
    try:
        raises(n)
    except ValueError:
        return "caught"
    finally:
        n = None
    return "fine"


def loop(items):
    total = 0
    for i in items:
        if i % 2:
            continue
        if i > 6:
            break
        total += i
    else:
        total = -total
    return total


def gen(n):
    for i in range(n):
        if i == 2:
            return
        yield i


async def coro(n):
    if n:
        raise KeyError(n)
    return n


async def drive(n):
    try:
        return await coro(n)
    except KeyError:
        return "caught"


def matches(value):
    match value:
        case [x, *rest] if x:
            return rest
        case {"k": v}:
            return v
        case _:
            return None


def suppressed(n):
    with contextlib.suppress(ZeroDivisionError):
        n = 1 // n
    return n


def recurse(n):
    if n <= 0:
        raise LookupError("bottom")
    return recurse(n - 1)


def nested(a):
    def inner(b):
        nonlocal a
        a += b
        return a

    return inner(1) + inner(2)


def lambdas(xs):
    return sorted(xs, key=lambda x: -x)


def partly(n):
    if n > 100:
        return "big"  # never run
    return "small"
"""

MAIN = """\
import asyncio
import sys

sys.path.insert(0, sys.argv[1])
if sys.argv[2] == "hook":
    import hot_restart

    hot_restart.install(patterns=["mod"])
import mod

print(mod.rebinds(1), mod.rebinds(5, 2), mod.catches(0), mod.catches(1))
print(mod.loop(range(5)), mod.loop(range(12)), list(mod.gen(5)), list(mod.gen(1)))
print(asyncio.run(mod.drive(1)), asyncio.run(mod.drive(0)), mod.matches([1, 2]), mod.matches({"k": 3}), mod.matches(0))
print(mod.suppressed(0), mod.suppressed(2), mod.nested(1), mod.lambdas([1, 3, 2]))
print(mod.partly(1))
try:
    mod.recurse(5)
except LookupError:
    pass
"""


def _cores() -> list[str]:
    cores = ["ctrace"]
    if sys.version_info >= (3, 12):
        cores.append("sysmon")
    return cores


def measured(tmp_path: Path, core: str, how: str, prompt: bool) -> dict[str, object]:
    (tmp_path / "mod.py").write_text(MOD)
    (tmp_path / "main.py").write_text(MAIN)
    data = tmp_path / f".coverage-{core}-{how}-{prompt}"
    extra = {"COVERAGE_CORE": core, "COVERAGE_FILE": str(data)}
    if prompt:
        extra["HOT_RESTART_FORCE_PROMPT"] = "1"  # as under a terminal: the handlers catch
    run = [sys.executable, "-m", "coverage", "run", "--branch", "--include=*/mod.py"]
    done = subprocess.run(
        [*run, str(tmp_path / "main.py"), str(tmp_path), how],
        cwd=tmp_path,
        env={**env(), **extra},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = tmp_path / f"{data.name}.json"
    subprocess.run(
        [sys.executable, "-m", "coverage", "json", "-q", "-o", str(report)],
        cwd=tmp_path,
        env={**env(), **extra},
        check=True,
        timeout=120,
    )
    files = json.loads(report.read_text())["files"]
    (found,) = files.values()
    keys = ("executed_lines", "missing_lines", "executed_branches", "missing_branches")
    return {key: found[key] for key in keys} | {"output": done.stdout}


@pytest.mark.parametrize("prompt", [False, True], ids=["no-prompt", "prompt"])
@pytest.mark.parametrize("core", _cores())
def test_coverage_measures_the_same_lines_and_branches(tmp_path, core, prompt):
    plain = measured(tmp_path, core, "plain", prompt)
    hooked = measured(tmp_path, core, "hook", prompt)
    assert plain["missing_branches"], "the program leaves some branches untaken"
    assert "hot_restart" not in str(hooked["output"])  # nothing stopped
    assert hooked == plain
