"""A re-run gets the crashed call's arguments as they were at entry, and
recording them shows nowhere: no local variable, no longer lifetime, no leak.

The scenarios run through the import hook with the debugger a person would
use; the other tests compare instrumented functions with plain ones
(``locals()``, ``vars()``, ``frame.f_locals``, ``inspect.getargvalues``,
``co_varnames``, when arguments die) and read ``original_arguments`` from
frames suspended in recursion, threads and interleaved coroutines.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import sys
import threading
import types
import weakref
from typing import Any
from unittest.mock import ANY

import pytest

from hot_restart.runtime import trampoline
from hot_restart.runtime.session import original_arguments
from hot_restart.transform import ENTRY_STORE_ATTR, instrument_source, iter_code

# Through the import hook, with the debugger.


def test_a_popped_kwargs_dict_is_re_run_as_it_was_at_entry(session):
    s = session("args_kwargs_pop", main="app.py", run="main.py")
    before = s.prompt()
    assert "app.connect raised ZeroDivisionError" in before
    assert "connect sees 5 0 []" in before
    s.fix()
    s.send("c")
    # Not "30 1": the re-run gets timeout=5, retries=0 again, not the popped dict.
    out = s.expect(r"result: db timeout=5 retries=0")
    assert "connect sees 5 0 []" in out
    s.finish(0)


def test_a_parameter_rebound_through_nonlocal_is_restored(session):
    s = session("args_nonlocal", main="app.py", run="main.py")
    assert "app.countdown raised ZeroDivisionError" in s.prompt()
    s.fix()
    s.send("c")
    s.expect(r"countdown: 10\b")  # n=2 again (with n=0, 10 // -1 = -10)
    s.finish(0)


def test_a_rebound_private_parameter_is_restored(session):
    s = session("args_private", main="app.py", run="main.py")
    assert "app.Scaler.ratio raised ZeroDivisionError" in s.prompt()
    s.fix()
    s.send("c")
    # x=2 again (doubled: 12 // 1), not the doubled 4 kept under the name
    # ``__x`` while the frame calls it ``_Scaler__x`` (12 // 5 = 2).
    s.expect(r"ratio: 12\b")
    s.finish(0)


def test_locals_shows_only_what_the_program_made(session):
    s = session("args_locals", main="app.py", run="main.py")
    # Spec(**locals()) works instrumented as it does plain: the crash is the
    # program's own ZeroDivisionError, not a TypeError about an extra keyword.
    assert "app.make raised ZeroDivisionError" in s.prompt()
    s.send("p sorted(locals())")
    assert "['name', 'size', 'spec']" in s.prompt()
    s.send("args")
    listing = s.prompt()
    assert "name = 'widget'" in listing and "size = 1" in listing
    assert "_hr__" not in s.output
    s.fix()
    s.send("c")
    s.expect(r"made widget:1")
    s.finish(0)


def test_restarting_a_caller_gives_it_its_entry_arguments(session):
    s = session("args_restart_caller", main="app.py", run="main.py")
    assert "app.attempt raised AssertionError" in s.prompt()
    s.send("up")
    assert "run(" in s.prompt()
    s.fix()
    s.send("restart")
    # The caller still running (not the crashed frame) re-runs with job and
    # **options as they were at its entry, not stripped and popped.
    out = s.expect(r"result: backup x2")
    assert "run sees 'backup' 2 ['verbose']" in out
    s.finish(0)


# Differential: the same function plain and instrumented.

INTROSPECTED = """
import inspect, sys

def peek(frame):
    return (
        sorted(frame.f_locals),
        inspect.formatargvalues(*inspect.getargvalues(frame)),
        frame.f_code.co_varnames,
        frame.f_code.co_nlocals,
    )

class Spec:
    def __init__(self, name, size):
        self.name, self.size = name, size

def make(name, size=None):
    size = size or 1
    return sorted(locals()), sorted(vars()), peek(sys._getframe()), Spec(**locals()).size

def connect(host, **options):
    timeout = options.pop("timeout", 30)
    return sorted(locals()), options, peek(sys._getframe())

def shift(first, *rest):
    rest = rest[1:]
    first = None
    return sorted(locals()), peek(sys._getframe())

def counter(n):
    def step():
        nonlocal n
        n += 1
        return sorted(locals())
    inner = step()
    return inner, sorted(locals()), peek(sys._getframe())

async def later(x):
    x = x * 2
    return sorted(locals()), peek(sys._getframe())

def gen(x):
    x = x + 1
    yield sorted(locals())
    yield peek(sys._getframe())
"""

CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("make", ("w",), {}),
    ("connect", ("db",), {"timeout": 5, "retries": 0}),
    ("shift", (1, 2, 3), {}),
    ("counter", (1,), {}),
    ("later", (3,), {}),
    ("gen", (1,), {}),
]


def load(code: types.CodeType) -> dict[str, Any]:
    ns: dict[str, Any] = {"__name__": "introspected"}
    trampoline.bind(ns, trampoline.handle)
    exec(code, ns)
    return ns


def result(fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    value = fn(*args, **kwargs)
    if inspect.iscoroutine(value):
        return asyncio.run(value)
    if inspect.isgenerator(value):
        return list(value)
    return value


# What the generated code catches: a prompt is possible (it records), or not
# (it records nothing).  Set on the real handler for the test's duration.
CATCHING = pytest.mark.parametrize(
    "catching", [BaseException, ()], ids=["prompt-possible", "no-prompt"], indirect=True
)


@pytest.fixture
def catching(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(trampoline.handle, "catching", request.param)
    return request.param


@CATCHING
@pytest.mark.parametrize("name,args,kwargs", CALLS, ids=[c[0] for c in CALLS])
def test_introspection_sees_what_plain_code_sees(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any], catching: Any
) -> None:
    plain = load(compile(INTROSPECTED, "<introspected>", "exec", dont_inherit=True))
    instrumented = load(instrument_source(INTROSPECTED, "<introspected>"))
    assert result(instrumented[name], args, kwargs) == result(plain[name], args, kwargs)
    assert trampoline.entry_arguments == {}


def test_code_objects_have_the_plain_local_variables() -> None:
    def shapes(code: types.CodeType) -> list[Any]:
        return sorted(
            (c.co_name, c.co_varnames, c.co_nlocals, c.co_cellvars, c.co_freevars)
            for c in iter_code(code)
        )

    plain = compile(INTROSPECTED, "<introspected>", "exec", dont_inherit=True)
    assert shapes(instrument_source(INTROSPECTED, "<introspected>")) == shapes(plain)


# Lifetimes: nothing outlives the call.

LIFETIMES = """
def rebinds(obj, ref):
    obj = None
    return "returned"

def raises(obj, ref):
    obj = None
    raise ValueError("raised")

def pops(ref, **options):
    options.pop("obj")
    return "returned"

async def awaits(obj, ref):
    obj = None
    return "returned"

def gen(obj, ref):
    obj = None
    yield ref() is None
"""


class Payload:
    """Something a weak reference can watch."""


def lifetimes(code: types.CodeType) -> list[Any]:
    """For each function: what it said, and whether its argument died with the call."""
    ns: dict[str, Any] = {}
    trampoline.bind(ns, trampoline.handle)
    exec(code, ns)
    seen = []
    for name in ("rebinds", "raises", "pops", "awaits", "gen"):
        box = [Payload()]  # emptied by the call: then only the callee holds it
        ref = weakref.ref(box[0])
        died: list[str] = []
        weakref.finalize(box[0], died.append, "finalized")
        fn = ns[name]
        try:
            value = fn(ref, obj=box.pop()) if name == "pops" else fn(box.pop(), ref)
            if inspect.iscoroutine(value):
                value = asyncio.run(value)
            elif inspect.isgenerator(value):
                value = list(value)
        except ValueError as e:
            value = str(e)
            del e
        seen.append((name, value, ref() is None, died))
    return seen


@CATCHING
def test_arguments_die_when_plain_ones_do(catching: Any) -> None:
    gc.disable()  # lifetimes by reference counting alone, as in plain code
    try:
        plain = lifetimes(compile(LIFETIMES, "<lifetimes>", "exec", dont_inherit=True))
        instrumented = lifetimes(instrument_source(LIFETIMES, "<lifetimes>"))
    finally:
        gc.enable()
    assert plain == [
        ("rebinds", "returned", True, ["finalized"]),
        ("raises", "raised", True, ["finalized"]),
        ("pops", "returned", True, ["finalized"]),
        ("awaits", "returned", True, ["finalized"]),
        ("gen", [True], True, ["finalized"]),
    ]
    assert instrumented == plain
    assert trampoline.entry_arguments == {}


# What original_arguments reads from a running frame.

RUNNING = """
import sys

def recurse(n, frames, **options):
    options.pop("k", None)
    frames.append(sys._getframe())
    n = n - 1
    if n >= 0:
        return recurse(n, frames, k=n)
    return WAIT(frames)

async def interleaved(tag, gate, frames):
    tag = tag + "!"
    frames.append(sys._getframe())
    await gate.wait()
    return tag
"""


def running(wait: Any) -> dict[str, Any]:
    ns: dict[str, Any] = {"WAIT": wait}
    trampoline.bind(ns, trampoline.handle)
    exec(instrument_source(RUNNING, "<running>"), ns)
    return ns


def test_each_recursive_activation_has_its_own_entry_arguments() -> None:
    seen: list[Any] = []

    def at_the_bottom(frames: list[types.FrameType]) -> str:
        seen.extend(original_arguments(f) for f in frames)
        return "bottom"

    ns = running(at_the_bottom)
    frames: list[types.FrameType] = []
    assert ns["recurse"](2, frames, k="first") == "bottom"
    assert seen == [
        ([2, frames], {"k": "first"}),
        ([1, frames], {"k": 1}),
        ([0, frames], {"k": 0}),
    ]
    del frames
    assert trampoline.entry_arguments == {}


@pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 always records (no gate)")
def test_a_frame_that_started_unrecorded_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """No prompt was possible when it started (nothing recorded), one is now:
    its parameters may hold rebound values, so it is not re-run with them."""
    from hot_restart.errors import ReloadException

    monkeypatch.setattr(trampoline.handle, "catching", ())
    refused: list[str] = []

    def at_the_bottom(frames: list[types.FrameType]) -> str:
        monkeypatch.setattr(trampoline.handle, "catching", BaseException)
        with pytest.raises(ReloadException) as info:
            original_arguments(frames[0])
        refused.append(str(info.value))
        return "bottom"

    ns = running(at_the_bottom)
    assert ns["recurse"](0, [], k="first") == "bottom"
    assert refused == [
        "the arguments recurse was called with were not kept (it started before a prompt "
        "was possible, or crashed after its `return`, and it rebinds them); `up` and "
        "`restart` a caller"
    ]
    assert trampoline.entry_arguments == {}


def test_threads_each_see_their_own_call() -> None:
    barrier = threading.Barrier(2)
    seen: dict[str, Any] = {}

    def at_the_bottom(frames: list[types.FrameType]) -> str:
        barrier.wait(timeout=10)  # both threads are inside recurse now
        seen[threading.current_thread().name] = original_arguments(frames[0])
        barrier.wait(timeout=10)
        return "bottom"

    ns = running(at_the_bottom)
    threads = [
        threading.Thread(target=ns["recurse"], args=(0, []), kwargs={"k": name}, name=name)
        for name in ("a", "b")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert {name: kwargs for name, (_, kwargs) in seen.items()} == {
        "a": {"k": "a"},
        "b": {"k": "b"},
    }
    assert trampoline.entry_arguments == {}


def test_interleaved_coroutines_each_see_their_own_call() -> None:
    ns = running(None)

    async def main() -> tuple[list[Any], list[str]]:
        gate = asyncio.Event()
        frames: list[types.FrameType] = []
        tasks = [asyncio.ensure_future(ns["interleaved"](tag, gate, frames)) for tag in "ab"]
        while len(frames) < 2:
            await asyncio.sleep(0)
        seen = [original_arguments(f)[0][0] for f in frames]
        gate.set()
        return seen, list(await asyncio.gather(*tasks))

    assert asyncio.run(main()) == (["a", "b"], ["a!", "b!"])
    assert trampoline.entry_arguments == {}


PRIVATE = """
import sys

class C:
    def method(self, __x, **__kw):
        __x = __x * 2
        __kw.pop("k")
        return WAIT(sys._getframe())

    def outer(self):
        def nested(__y):
            __y = __y * 2
            return WAIT(sys._getframe())
        return nested(3)

    class Inner:
        def method(self, __z):
            __z = __z * 2
            return WAIT(sys._getframe())

class _Hidden:
    def method(self, __x):
        __x = __x * 2
        return WAIT(sys._getframe())

class __:
    def method(self, __x, __dunder__):
        __x = __x * 2
        __dunder__ = None
        return WAIT(sys._getframe())

def top(__x):
    __x = __x * 2
    return WAIT(sys._getframe())

CALLS = [
    lambda: C().method(1, k="v"),
    lambda: C().outer(),
    lambda: C.Inner().method(4),
    lambda: _Hidden().method(5),
    lambda: __().method(6, "d"),
    lambda: top(7),
]
"""


def test_private_parameters_are_recorded_under_the_names_the_frame_has(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A parameter ``__x`` in a class body is ``_C__x`` in the frame (CPython
    mangles it): the record must use that name, or a re-run gets the rebound
    value.  Nested defs take the class of the method they are in, an inner
    class its own name; ``_Hidden`` drops the underscore, ``__`` mangles nothing."""
    monkeypatch.setattr(trampoline.handle, "catching", BaseException)
    seen: list[tuple[str, tuple[str, ...], Any]] = []

    def at_the_bottom(frame: types.FrameType) -> str:
        recorded = trampoline.entry_arguments[frame]  # type: ignore[attr-defined]
        assert set(recorded[0]) <= set(frame.f_code.co_varnames), recorded[0]
        seen.append((frame.f_code.co_name, recorded[0], original_arguments(frame)))
        return "bottom"

    ns: dict[str, Any] = {"WAIT": at_the_bottom}

    trampoline.bind(ns, trampoline.handle)
    exec(instrument_source(PRIVATE, "<private>"), ns)
    assert [call() for call in ns["CALLS"]] == ["bottom"] * 6
    # The entry values, not the doubled ones (``ANY``: the instance).
    assert seen == [
        ("method", ("_C__x", "_C__kw"), ([ANY, 1], {"k": "v"})),
        ("nested", ("_C__y",), ([3], {})),
        ("method", ("_Inner__z",), ([ANY, 4], {})),
        ("method", ("_Hidden__x",), ([ANY, 5], {})),
        ("method", ("__x", "__dunder__"), ([ANY, 6, "d"], {})),
        ("top", ("__x",), ([7], {})),
    ]
    assert trampoline.entry_arguments == {}


@pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 code objects have no co_qualname")
def test_nothing_is_recorded_where_nothing_is_rebound() -> None:
    source = (
        "def add(a, b):\n    return a + b\n\ndef reads(**kw):\n    return kw.get('a'), len(kw)\n"
    )
    code = instrument_source(source, "<plain>")
    for c in iter_code(code):
        assert ENTRY_STORE_ATTR not in c.co_names, c.co_qualname


# The record adds no line event of its own and leaves a finished frame's
# f_lineno as the trampoline leaves it (where the trampoline's ``try`` and
# handler report a line is another matter, compared with plain code elsewhere).

TRACED_PAIRS = {
    "multi-line first statement": (
        "def f(a):\n    x = (\n        a\n    )\n    a = x\n    return a\n",
        "def f(a):\n    x = (\n        a\n    )\n    b = x\n    return b\n",
    ),
    "decorated first statement": (
        "def f(a):\n    @staticmethod\n    def g():\n        pass\n    a = 1\n    return a\n",
        "def f(a):\n    @staticmethod\n    def g():\n        pass\n    b = 1\n    return b\n",
    ),
    "raises": (
        "def f(a):\n    a = a.upper(\n        )\n    return 1 / 0\n",
        "def f(a):\n    b = a.upper(\n        )\n    return 1 / 0\n",
    ),
}


def traced(source: str) -> list[tuple[str, int | None]]:
    ns: dict[str, Any] = {}
    trampoline.bind(ns, trampoline.handle)
    exec(instrument_source(source, "<traced>"), ns)
    events: list[tuple[str, int | None]] = []

    def tracer(frame: types.FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_name == "f":
            events.append((event, frame.f_lineno))
        return tracer

    sys.settrace(tracer)
    try:
        ns["f"]("x")
    except ZeroDivisionError as e:
        assert e.__traceback__ is not None and e.__traceback__.tb_next is not None
        events.append(("finished", e.__traceback__.tb_next.tb_frame.f_lineno))
    finally:
        sys.settrace(None)
    return events


def collapsed(events: list[tuple[str, int | None]]) -> list[tuple[str, int | None]]:
    """Without a 'line' event repeating the one just before it.

    When an exception leaves a recording function, its re-raise (on the
    handler's position, so that the finished frame's f_lineno is the one the
    trampoline gives) repeats the handler's 'line' event: a known deviation.
    """
    return [e for i, e in enumerate(events) if not (e[0] == "line" and events[i - 1 : i] == [e])]


@pytest.mark.parametrize("case", sorted(TRACED_PAIRS))
def test_the_record_adds_no_trace_event(case: str) -> None:
    recording, not_recording = TRACED_PAIRS[case]
    assert collapsed(traced(recording)) == collapsed(traced(not_recording))


def test_nothing_is_left_behind_at_the_recursion_limit() -> None:
    source = "def deep(n, **options):\n    options.pop('k', None)\n    n = n + 1\n    return deep(n, k=n)\n"
    ns: dict[str, Any] = {}
    trampoline.bind(ns, trampoline.handle)
    exec(instrument_source(source, "<deep>"), ns)
    with pytest.raises(RecursionError):
        ns["deep"](0)
    assert trampoline.entry_arguments == {}
