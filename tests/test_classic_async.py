"""The classic ``wrap`` on an ``async def`` run with ``asyncio.run``."""

from __future__ import annotations

import re

from scenario import PROMPT, error_line


def test_coroutine_crash_fix_continue_awaits_the_new_result(session):
    s = session("async_fn")
    before = s.prompt()
    assert "> hot_restart: __main__.fetch raised ZeroDivisionError(" in before
    s.fix()
    s.send("c")
    s.expect(r"results: 40 50\r?\n")
    # The re-run is a fresh call of the coroutine function with x=4.
    s.expect(r"attempts: \[4, 4, 5\]\r?\n")
    out = s.finish(0)
    assert len(re.findall(PROMPT, out)) == 1


def test_coroutine_quit_propagates_through_asyncio_run(session):
    s = session("async_fn")
    s.prompt()
    s.send("q")
    out = s.finish(1)
    assert error_line("4 / 0") in out
    assert "results:" not in out
