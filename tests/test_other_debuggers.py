"""The pudb adapter, through a stand-in module.

pudb's real interface is full-screen, so this test puts a stand-in ``pudb``
module first on the path: it records that the adapter called it post mortem
with the crash, and plays the user editing the file; returning from it
means "continue", so the function re-runs.  (pydevd, VS Code's debugger, is
tested against the real debugpy in ``test_pydevd``.)
"""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("pudb", "FAKE PUDB post_mortem ZeroDivisionError"),
    ],
)
def test_adapter_is_called_and_continue_reruns(session, name, expected):
    s = session("fake_debuggers", env={"HOT_RESTART_DEBUGGER": name})
    out = s.finish(0)
    assert expected in out
    assert "result: 2" in out
