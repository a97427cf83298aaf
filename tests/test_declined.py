"""Declining at the prompt leaves the exception exactly as the program made it."""

from __future__ import annotations

import subprocess
import sys

from scenario import SCENARIOS


def test_declined_exception_carries_nothing_of_ours(session):
    # stop_on=all stops although outer() catches: the program then inspects
    # and pickles the exception the user let go.
    s = session(
        "declined_clean",
        args=["-m", "hot_restart", "prog.py"],
        env={"HOT_RESTART_STOP_ON": "all"},
    )
    s.prompt()
    s.send("q")
    out = s.finish(0)
    plain = subprocess.run(
        [sys.executable, str(SCENARIOS / "declined_clean" / "in_1.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for line in plain.splitlines():
        assert line in out
