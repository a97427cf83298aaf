"""The pydevd (VS Code, debugpy) adapter, against a stand-in ``pydevd`` module.

A real session needs an IDE attached; the stand-in records the calls the
adapter makes.  (``test_other_debuggers`` runs the same through a terminal.)
"""

from __future__ import annotations

import sys
import types

import pytest

from hot_restart.runtime import debuggers
from hot_restart.runtime.state import STATE


class _Info:
    is_tracing = 0


class _PyDB:
    def __init__(self, break_on_uncaught: object) -> None:
        self.break_on_uncaught_exceptions = break_on_uncaught
        self.calls: list[tuple[object, ...]] = []

    def set_additional_thread_info(self, thread: object) -> _Info:
        self.info = _Info()
        return self.info

    def stop_on_unhandled_exception(self, py_db, thread, info, excinfo):
        self.calls.append((py_db, thread, info.is_tracing, excinfo))
        if self.reraise:
            import hot_restart

            hot_restart.reraise()  # what the user evaluates in the Debug Console

    reraise = False


@pytest.fixture
def fake_pydevd(monkeypatch):
    def install(break_on_uncaught: object = {"builtins.Exception": object()}) -> _PyDB:
        py_db = _PyDB(break_on_uncaught)
        module = types.ModuleType("pydevd")
        module.get_global_debugger = lambda: py_db  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "pydevd", module)
        monkeypatch.setattr(STATE, "reraise_requested", False)
        return py_db

    return install


def crash() -> tuple[ZeroDivisionError, types.FrameType]:
    try:
        1 // 0  # noqa: B018
    except ZeroDivisionError as e:
        return e, sys._getframe()
    raise AssertionError


def test_stops_on_the_crash_while_pydevd_traces_this_thread(fake_pydevd):
    py_db = fake_pydevd()
    exc, frame = crash()
    assert debuggers.run("pydevd", exc, frame) == debuggers.Outcome("continue")
    [(db, _thread, tracing, excinfo)] = py_db.calls
    assert db is py_db
    assert tracing == 1 and py_db.info.is_tracing == 0  # raised during the stop only
    assert excinfo == (ZeroDivisionError, exc, exc.__traceback__)


def test_reraise_in_the_debug_console_declines(fake_pydevd):
    py_db = fake_pydevd()
    py_db.reraise = True
    exc, frame = crash()
    assert debuggers.run("pydevd", exc, frame).action == "quit"


def test_no_break_on_uncaught_exceptions_lets_it_propagate(fake_pydevd, capsys):
    py_db = fake_pydevd(break_on_uncaught={})
    exc, frame = crash()
    # Continuing here would re-run and crash again, for ever.
    assert debuggers.run("pydevd", exc, frame).action == "quit"
    assert py_db.calls == []
    assert "does not break on uncaught exceptions" in capsys.readouterr().err
