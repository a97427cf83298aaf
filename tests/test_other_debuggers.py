"""pudb and pydevd (VS Code) adapters, through stand-in modules.

Their real interfaces are full-screen or remote, so these tests put a
stand-in ``pudb``/``pydevd`` module first on the path: it records that the
adapter called it post mortem with the crash, and plays the user editing
the file; returning from it means "continue", so the function re-runs.
The real UIs were checked by hand (see the README).
"""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("pudb", "FAKE PUDB post_mortem ZeroDivisionError"),
        ("pydevd", "FAKE PYDEVD stop ZeroDivisionError tracing=1"),
    ],
)
def test_adapter_is_called_and_continue_reruns(session, name, expected):
    s = session("fake_debuggers", env={"HOT_RESTART_DEBUGGER": name})
    out = s.finish(0)
    assert expected in out
    assert "result: 2" in out


def test_debugpy_is_an_alias_of_pydevd(session):
    s = session("fake_debuggers", env={"HOT_RESTART_DEBUGGER": "debugpy"})
    assert "FAKE PYDEVD" in s.finish(0)
