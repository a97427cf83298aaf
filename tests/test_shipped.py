"""Code that joblib and dask ship to their workers by value (cloudpickle) reloads.

A function defined in the main script reaches a loky or dask worker as a
copy whose code's file is ``"<dynamic-code>"``.  The crash there prompts on
the terminal as in any worker; ``c`` must reload the function from the
script's file (its globals keep ``__file__``) and re-run the crashed item,
and the fix must heal the other copies of the old code.  Real joblib and
real dask ``LocalCluster`` worker processes, driven through a pty; the
whole process group is killed at the end.

The unit tests below give ``shipped.adopt`` cloudpickle's own copies of
instrumented functions of each shape, in a child process (the hook changes
``sys.meta_path``).
"""

from __future__ import annotations

import collections
import os
import re
import signal
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from child import run
from scenario import Session
from test_workers import HEALED

pytest.importorskip("cloudpickle")

BUGGY_LINE = "return 10 // (x % 6 - 3)"
# A dask worker is named "Dask Worker process (from Nanny)", after a [thread ...] label.
WORKER_BANNER = r"raised ZeroDivisionError\([^)]*\).* \[pid (\d+) ([^\]]+)\]"


@pytest.fixture
def group(session: type[Session]) -> Iterator[type[Session]]:
    """The session fixture, and the program's whole process group killed at the end."""
    started: list[Session] = []

    def start(*args: object, **kwargs: object) -> Session:
        s = session(*args, **kwargs)  # type: ignore[arg-type]
        started.append(s)
        return s

    yield start  # type: ignore[misc]
    for s in started:
        try:
            os.killpg(s.child.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _log(s: Session) -> collections.Counter[str]:
    return collections.Counter((s.dir / "log.txt").read_text().split())


def _crash_in_a_worker(s: Session) -> None:
    banner = s.prompt()
    found = re.search(WORKER_BANNER, banner)
    assert found, banner
    assert int(found.group(1)) != s.child.pid  # in a worker, not the parent
    assert BUGGY_LINE in banner  # the debugger lists the file's line, not "<dynamic-code>"'s


@pytest.mark.parametrize("engine", ["joblib", "dask"])
def test_a_function_shipped_by_value_reloads_in_the_worker(group, engine):
    pytest.importorskip({"joblib": "joblib", "dask": "distributed"}[engine])
    s = group("workers_shipped", args=["-m", "hot_restart", "prog.py", engine, "6"])
    _crash_in_a_worker(s)
    s.fix()
    s.send("c")
    # A spawned worker may also have imported the script as __mp_main__ (the
    # runner's children run it instrumented): its work is reloaded too.
    s.expect(r"hot_restart: reloaded (__mp_main__\.work, )?work\b")
    out = s.finish(0)
    assert "no longer exists" not in out
    assert "RESULT [-4, -5, -10, 0, 10, 5]" in out
    assert _log(s) == {"0": 1, "1": 1, "2": 1, "3": 2, "4": 1, "5": 1}


def test_the_fix_heals_the_copies_shipped_before_it(group):
    """joblib ships work() again with every task: each old copy heals at its crash."""
    pytest.importorskip("joblib")
    s = group("workers_shipped", args=["-m", "hot_restart", "prog.py", "joblib", "12"])
    _crash_in_a_worker(s)
    s.fix()
    s.send("c")
    s.expect(HEALED)
    out = s.finish(0)
    assert "RESULT [-4, -5, -10, 0, 10, 5, -4, -5, -10, 0, 10, 5]" in out
    assert out.count("(Pdb) ") + out.count("ipdb> ") == 1  # no second prompt
    assert _log(s) == {str(x): 2 if x % 6 == 3 else 1 for x in range(12)}


JOBS = """\
import functools


def deco(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper


def plain(x):
    return 10 // x


@deco
def decorated(x, *, k=2):
    \"\"\"Doc.\"\"\"
    return 10 // x


class Box:
    def method(self, x):
        return [10 // v for v in (x,)]

    @staticmethod
    def static(x):
        return 10 // x


def make(n):
    def inner(x):
        return n // x
    return inner


async def coro(x):
    return 10 // x
"""

ADOPT = """\
import asyncio, json, sys
from pathlib import Path

sys.path.insert(0, sys.argv[1])

import cloudpickle

import hot_restart
from hot_restart.runtime import shipped
from hot_restart.transform import is_instrumented

hot_restart.install(patterns=["jobs"])
import jobs

cloudpickle.register_pickle_by_value(jobs)  # as cloudpickle ships a main script's functions
copies = cloudpickle.loads(
    cloudpickle.dumps([jobs.plain, jobs.decorated, jobs.Box, jobs.make(5), jobs.coro])
)
plain, decorated, Box, inner, coro = copies
assert plain.__code__.co_filename == "<dynamic-code>"
edit = sys.argv[2]
if edit:
    text = Path(jobs.__file__).read_text()
    Path(jobs.__file__).write_text(text.replace(*json.loads(edit)))


def adopt(call, qualname):
    try:
        call()
    except ZeroDivisionError as e:
        tb, frame = e.__traceback__, None
        while tb is not None:  # the frame whose trampoline handles it
            if is_instrumented(tb.tb_frame.f_code):
                frame = tb.tb_frame
            tb = tb.tb_next
        edited = shipped.adopt(frame, qualname)
        return edited


results = {
    "plain": adopt(lambda: plain(0), "plain"),
    "decorated": adopt(lambda: decorated(0), "decorated"),
    "Box.method": adopt(lambda: Box().method(0), "Box.method"),
    "Box.static": adopt(lambda: Box.static(0), "Box.static"),
    "make.<locals>.inner": adopt(lambda: inner(0), "make.<locals>.inner"),
    "coro": adopt(lambda: asyncio.run(coro(0)), "coro"),
}
files = {
    f.__code__.co_filename
    for f in (plain, decorated.__wrapped__, Box.method, Box.static, inner, coro)
}
lines = {"plain": plain.__code__.co_firstlineno, "static": Box.static.__code__.co_firstlineno}
print(json.dumps({"edited": results, "files": sorted(files), "lines": lines}))
"""


def _adopt(tmp_path: Path, edit: tuple[str, str] | None = None) -> dict[str, object]:
    import json

    (tmp_path / "jobs.py").write_text(JOBS)
    lines = run(ADOPT, tmp_path, json.dumps(edit) if edit else "")
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def test_an_unedited_copy_gets_its_file_back_and_runs_the_same(tmp_path):
    """Each shape compiles from the file to code that runs as the shipped copy does."""
    found = _adopt(tmp_path)
    assert found["edited"] == dict.fromkeys(
        ["plain", "decorated", "Box.method", "Box.static", "make.<locals>.inner", "coro"], False
    )
    assert found["files"] == [str(tmp_path / "jobs.py")]
    assert found["lines"] == {"plain": 11, "static": 25}


def test_lines_moved_since_it_was_shipped_are_the_files(tmp_path):
    """Lines added above: the same behaviour, so no re-run, and the lines of the file now."""
    found = _adopt(tmp_path, ("import functools\n", "import functools\n\n\n"))
    assert not any(found["edited"].values())  # type: ignore[attr-defined]
    assert found["lines"] == {"plain": 13, "static": 27}


def test_a_def_edited_since_it_was_shipped_heals(tmp_path):
    found = _adopt(tmp_path, ("return 10 // x\n\n\n@deco", "return 10 // (x or 1)\n\n\n@deco"))
    edited = found["edited"]
    assert edited == {
        "plain": True,
        "decorated": False,
        "Box.method": False,
        "Box.static": False,
        "make.<locals>.inner": False,
        "coro": False,
    }
    assert found["files"] == [str(tmp_path / "jobs.py")]


def test_a_def_gone_from_the_file_keeps_its_code_under_the_files_name(tmp_path):
    """`c` then says the def is no longer in the file (not that "<dynamic-code>" is missing)."""
    found = _adopt(tmp_path, ("def plain(x):", "def renamed(x):"))
    assert found["edited"]["plain"] is False  # type: ignore[index]
    assert found["files"] == [str(tmp_path / "jobs.py")]


def test_code_that_was_not_shipped_is_left_alone():
    script = textwrap.dedent(
        """\
        import sys
        from hot_restart.runtime import shipped

        def f():
            return sys._getframe()

        frame = f()
        print(shipped.home_of(frame), shipped.adopt(frame, "f"))
        """
    )
    assert run(script) == ["None False"]


def test_a_fix_using_names_the_engine_did_not_ship_gets_them_from_the_file(group):
    """The worker's copy has only the globals the old code used: the fix's
    ``math`` (imported by the script), ``LIMIT`` and ``fallback`` (new) are
    run from the file in its globals, and the item is re-run."""
    pytest.importorskip("joblib")
    s = group("workers_shipped", args=["-m", "hot_restart", "prog.py", "joblib", "6"])
    _crash_in_a_worker(s)
    s.fix("in_3.py")
    s.send("c")
    ran = s.expect(r"hot_restart: reloaded (__mp_main__\.work, )?work\b")
    assert (
        "work now uses what the engine did not ship to this process: "
        "ran prog.py:9 (math), prog.py:13 (LIMIT), prog.py:16 (fallback)"
    ) in ran
    out = s.finish(0)
    assert "NameError" not in out
    assert "RESULT [-4, -5, -10, 0, 10, 5]" in out


def test_up_and_restart_on_a_shipped_caller(group):
    """The callers of a shipped crash get their file back too."""
    pytest.importorskip("joblib")
    s = group("workers_shipped_caller", args=["-m", "hot_restart", "prog.py"])
    assert "__main__.helper raised ZeroDivisionError" in s.prompt()
    s.fix()
    s.send("up")
    s.prompt()
    s.send("restart")
    s.expect(r"hot_restart: reloaded work\b")
    out = s.finish(0)
    assert "no longer exists" not in out
    assert "RESULT [-4, -5, -10, 0, 10, 5]" in out
