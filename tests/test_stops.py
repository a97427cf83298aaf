"""Where it stops: never where C code or the user's top-level code handles the
exception, at the crash site where it escapes, and in linear time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from scenario import ROOT, SCENARIOS


def test_swallowed_exceptions_never_stop_but_a_sorted_key_crash_does(session):
    s = session("swallowed", args=["-m", "hot_restart", "prog.py"])
    before = s.prompt()
    assert "hasattr: [True, False, True, False, True, False]" in before
    assert "getattr: [0, None, 2, None, 4, None]" in before
    assert "fallbacks: fallback for value fallback for value from __getattr__" in before
    assert "hint: [1, 2, 3] 7" in before
    assert "argparse said: argument --n: invalid positive value: '-3'" in before
    assert "module level handled it" in before
    assert before.count("hot_restart:") == 1, before
    assert "__main__.weight raised ZeroDivisionError" in before
    s.fix()
    s.send("c")
    s.expect(r"weights: \[20, 50, 100\]")
    s.expect("done")
    s.finish(0)


def test_module_level_try_handles_and_an_escaping_call_stops_in_it(session):
    s = session("toplevel_handler", args=["-m", "hot_restart", "prog.py"])
    before = s.prompt()
    assert "handled at the top level" in before
    assert "handled in a loop 1" in before
    assert before.count("hot_restart:") == 1, before
    assert "__main__.later raised ZeroDivisionError" in before
    s.fix()
    s.send("c")
    s.expect(r"result: 2\.0")
    s.finish(0)


def _only_the_crash_stops(
    session, scenario: str, handled: tuple[str, ...], crash: str, after: tuple[str, ...]
) -> str:
    """Run ``scenario``: every ``handled`` line printed before the one prompt,
    at ``crash``; after the fix and ``c``, the ``after`` lines.  The output
    before the prompt, for more checks."""
    s = session(scenario, args=["-m", "hot_restart", "prog.py"])
    before = s.prompt()
    for line in handled:
        assert line in before
    assert before.count("hot_restart:") == 1, before
    assert f"__main__.{crash} raised" in before
    s.fix()
    s.send("c")
    for line in after:
        s.expect(line)
    s.finish(0)
    return before


def test_cancellation_and_the_import_systems_lookups_never_stop(session):
    """A timed-out or cancelled task, and a module ``__getattr__`` (PEP 562)
    raising AttributeError for the import system's ``__path__`` lookup or
    for a ``from m import name`` the program guards with ``except ImportError``;
    optional attributes C code looks up (isinstance, pickle, ABCs, io)."""
    handled = ("timed out", "cancelled", "version 3", "not a class", "tools 42")
    handled += ("pickled and checked", "read b'data'", "removed")
    _only_the_crash_stops(session, "swallowed_by_machinery", handled, "share", ("share 10", "done"))


def test_a_waiter_that_handles_it_means_no_stop_in_the_pool_or_task(session):
    """A thread pool's work item and an asyncio task store the exception for
    whoever waits: ``result()`` or ``await`` in a ``try`` handles it there
    (also through ``gather``, and as a result with ``return_exceptions``)."""
    handled = ("task failed, handled", "gathered [2, ValueError(", "gather failed, handled")
    handled += ("taskgroup: handled", "pool failed, handled", "mapped [4, 5]")
    _only_the_crash_stops(session, "handed_to_waiters", handled, "ratio", (r"ratio 0\.25", "done"))


def test_a_crash_under_a_top_level_with_that_might_swallow_stops(session):
    """Before, the decision was left to the top level, which has no trampoline:
    the program died with its traceback."""
    after = ("share 10", "stack closed", "done")
    _only_the_crash_stops(session, "toplevel_with", (), "share", after)


def test_what_library_code_catches_or_passes_on_never_stops(session):
    handled = ("with: handled", "async with: handled", "settings info False {'debug': True}")
    handled += ("decorators: handled", "enum: no color 5", "pairs 1 2 [3, 4] [5, 6]")
    after = (r"average 2\.0", "done")
    _only_the_crash_stops(session, "handled_by_libraries", handled, "average", after)


def test_a_crash_in_eq_under_dict_get_stops_in_eq(session):
    after = ("3 missing False", "done")
    before = _only_the_crash_stops(session, "lookup_eq", ("a 1 True",), "K.__eq__", after)
    assert "returned through code" not in before  # not a late stop in main


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "HOT_RESTART"))}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


@pytest.mark.parametrize(
    "scenario",
    [
        "swallowed",
        "swallowed_by_machinery",
        "handed_to_waiters",
        "handled_by_libraries",
        "toplevel_handler",
    ],
)
def test_fixed_programs_print_what_plain_python_prints(tmp_path, scenario):
    """Differential: with the policy running (a prompt forced), nothing stops."""
    shutil.copytree(SCENARIOS / scenario, tmp_path, dirs_exist_ok=True)  # and its helpers
    prog = tmp_path / "prog.py"
    prog.write_text((SCENARIOS / scenario / "in_2.py").read_text())

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args, str(prog)],
            cwd=tmp_path,
            env=_env(**extra),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )

    plain = run()
    hot = run("-m", "hot_restart", HOT_RESTART_FORCE_PROMPT="1")
    assert plain.returncode == hot.returncode == 0, hot.stderr
    assert hot.stdout == plain.stdout


RECORDER = """
import os, sys
sys.path.insert(0, {folder!r})
import hot_restart
from hot_restart.runtime.state import STATE
from hot_restart.runtime.trampoline import decline

stops = []

def record(exc, frame):
    stops.append(frame.f_code.co_name)
    decline(exc)  # as `q` at the prompt: the outer frames let it pass
    return True  # a host that handles it: no prompt

STATE.handled_by_host = record
with hot_restart.install(["cases"]):
    import cases
for name in sys.argv[1:]:
    stops.clear()
    try:
        getattr(cases, name)()
    except Exception as e:
        pass
    print(name, stops)
"""

CASES = """
import argparse
import contextlib
import operator

import helpers


class Order:
    def __init__(self, amount):
        self.amount = amount

    @property
    def total(self):
        if self.amount % 2:
            raise AttributeError("total")
        return self.amount


class Fallback(Order):
    def __getattr__(self, name):
        return None


class Hint:
    def __iter__(self):
        return iter([1])

    def __length_hint__(self):
        raise TypeError("no hint")


class Seq:
    def __getitem__(self, i):
        if i > 2:
            raise IndexError(i)
        return i


def probe(o):
    return o.missing


def swallowed():
    [hasattr(Order(i), "total") for i in range(4)]
    [getattr(Order(i), "total", 0) for i in range(4)]
    [Fallback(i).total for i in range(4)]
    [getattr(Fallback(i), "total") for i in range(4)]
    list(Hint()), operator.length_hint(Hint())
    [x for x in Seq()]
    return hasattr(Order(1), "total")


def property_escapes():
    return Order(1).total


def getattr_escapes():
    return getattr(Order(1), "total")


def method_escapes():
    return probe(Order(2))


def key(x):
    return {{}}[x]


def sorted_key_escapes():
    return sorted([1, 2], key=key)


class Ignoring:
    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        return kind is KeyError


def lookup(table, key):
    return table[key]


def convert(text):
    return int(text)


def suppressed():
    with Ignoring():
        lookup({{}}, "k")
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.suppress(KeyError))
        lookup({{}}, "k")
    parser = argparse.ArgumentParser(exit_on_error=False)
    parser.add_argument("--n", type=convert)
    try:
        parser.parse_args(["--n", "x"])
    except argparse.ArgumentError:
        pass


def through_a_with():
    with Ignoring():
        return convert("x")  # ValueError: Ignoring lets it through


def through_c_code():
    return ", ".join(map(probe, [Order(2)]))


def framework_catches():
    return helpers.serve(convert, "x")


class Named:
    def __init__(self, name):
        self.name = name

    def __str__(self):
        return "<" + self.name + ">"

    def __getattr__(self, attr):
        return {{}}[attr]


def str_escapes():
    print(Named(None))  # on 3.10 the class call on the line is not the way __str__ came


def getattr_key_escapes():
    print(getattr(Named("n"), "missing"))  # getattr swallows only an AttributeError


def deep(n):
    if n == 0:
        raise KeyError(n)
    return deep(n - 1)


def top(n):
    try:
        deep(n)
    except KeyError:
        return n
"""


HELPERS = """
def serve(handler, request):
    try:
        return handler(request)
    except Exception as e:
        return repr(e)
"""


def _record(tmp_path: Path, *names: str) -> dict[str, list[str]]:
    (tmp_path / "cases.py").write_text(textwrap.dedent(CASES).replace("{{}}", "{}"))
    (tmp_path / "helpers.py").write_text(HELPERS)
    script = tmp_path / "record.py"
    script.write_text(RECORDER.format(folder=str(tmp_path)))
    result = subprocess.run(
        [sys.executable, str(script), *names],
        env=_env(HOT_RESTART_FORCE_PROMPT="1"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = {}
    for line in result.stdout.splitlines():
        name, _, rest = line.partition(" ")
        out[name] = eval(rest)  # a list of names, printed by us
    return out


def test_each_escaping_exception_stops_once_at_its_crash_site(tmp_path):
    stops = _record(
        tmp_path,
        "swallowed",
        "property_escapes",
        "getattr_escapes",
        "method_escapes",
        "sorted_key_escapes",
        "suppressed",
        "through_a_with",
        "through_c_code",
        "framework_catches",
        "str_escapes",
        "getattr_key_escapes",
    )
    assert stops == {
        "str_escapes": ["__str__"],
        "getattr_key_escapes": ["__getattr__"],
        "suppressed": [],
        "through_a_with": ["through_a_with"],  # where it reappeared: a late stop
        "through_c_code": ["through_c_code"],
        "framework_catches": ["convert"],  # a catch-all outside the user's code
        "swallowed": [],
        "property_escapes": ["total"],
        "getattr_escapes": ["total"],
        "method_escapes": ["probe"],
        "sorted_key_escapes": ["key"],
    }


COUNTER = """
import sys
sys.path.insert(0, {folder!r})
sys.path.insert(0, {folder!r})
sys.setrecursionlimit(10_000)
import hot_restart
from hot_restart.runtime import catchers

class Counting(dict):
    lookups = 0

    def get(self, key, default=None):
        Counting.lookups += 1
        return super().get(key, default)

catchers._decisions = Counting()
with hot_restart.install(["cases"]):
    import cases
for depth in (200, 400, 800):
    cases.top(depth)
    Counting.lookups = 0
    assert cases.top(depth) == depth
    print(depth, Counting.lookups)
"""


def test_a_deep_raise_caught_at_the_top_is_decided_once_not_per_frame(tmp_path):
    """Catcher lookups grow linearly with the depth (each frame used to walk all its callers)."""
    (tmp_path / "cases.py").write_text(textwrap.dedent(CASES).replace("{{}}", "{}"))
    (tmp_path / "helpers.py").write_text(HELPERS)
    script = tmp_path / "count.py"
    script.write_text(COUNTER.format(folder=str(tmp_path)))
    result = subprocess.run(
        [sys.executable, str(script)],
        env=_env(HOT_RESTART_FORCE_PROMPT="1"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    counts = dict(map(int, line.split()) for line in result.stdout.splitlines())
    for depth, lookups in counts.items():
        assert lookups <= 2 * depth + 10, counts


def test_suppressing_context_managers_never_stop_and_a_late_stop_reruns_the_caller(session):
    s = session("late_stop", args=["-m", "hot_restart", "prog.py"])
    before = s.prompt()
    assert "context managers: suppressed suppressed too" in before
    assert "__main__.label raised AttributeError" in before
    assert "name_of raised it" in before and "re-runs label" in before
    assert before.count("raised AttributeError") == 1, before
    assert "item.nmae.upper()" in before  # the debugger shows the crash site
    s.fix()
    s.send("c")
    s.expect("label: A, B")
    s.finish(0)


def test_stops_after_a_reload_for_kinds_that_c_code_swallows(session):
    """A caller still running its pre-edit code, and a re-run's own caller (the
    crashed copy), are read as plain calls, not as C code that may swallow."""
    s = session("stops_after_reload", args=["-m", "hot_restart", "prog.py"])
    assert "__main__.convert raised ValueError" in s.prompt()
    s.fix("in_2.py")  # adds lines above main(), which is running
    s.send("c")
    later = s.prompt()
    assert "got -1" in later
    assert "__main__.convert raised TypeError" in later
    assert "could have swallowed" not in later
    s.fix("in_3.py")  # still wrong: its re-run raises KeyError
    s.send("c")
    again = s.prompt()
    assert "__main__.convert raised KeyError('k')" in again
    assert "the re-run got the arguments as they were at entry" in again
    assert "could have swallowed" not in again
    s.fix("in_4.py")
    s.send("c")
    out = s.finish(0)
    assert out.count("got 6") == 1  # main was never re-run: the first item ran once
    assert "got 1\ngot 17\ndone" in out


def test_iteration_that_c_code_ends_never_stops_and_an_exit_that_raises_does(session):
    s = session("stops_exit_and_sequences", args=["-m", "hot_restart", "prog.py"])
    before = s.prompt()
    assert "all [0, 10, 20]" in before  # the for loop and list() swallowed IndexError
    assert before.count("hot_restart:") == 1, before
    assert "__main__.Timer.__exit__ raised AttributeError(" in before
    s.fix()
    s.send("c")
    out = s.finish(0)
    assert "closed NONE\nwork c\nclosed C\ndone" in out
    assert out.count("work None") == 1  # step() was not re-run
