"""``@hot_restart.no_wrap`` keeps a function or class out of ``wrap_module()``."""

from __future__ import annotations

import re

import pytest
from scenario import PROMPT, error_line


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("function", error_line("10 // 0")),
        ("class", "KeyError: 'plain'"),
    ],
)
def test_opted_out_code_never_prompts(session, mode, error):
    s = session("no_wrap", args=["prog.py", mode])
    out = s.finish(1)
    assert error in out
    assert "hot_restart:" not in out
    assert not re.search(PROMPT, out)


def test_crash_in_opted_out_helper_stops_in_its_wrapped_caller(session):
    s = session("no_wrap", args=["prog.py", "caller"])
    before = s.prompt()
    # helper is not instrumented, so the first frame that can stop is caller's.
    assert "> hot_restart: __main__.caller raised ZeroDivisionError(" in before
    assert "__main__.helper" not in before
    s.fix()
    s.send("c")
    s.expect(r"caller: 10\r?\n")
    out = s.finish(0)
    assert len(re.findall(PROMPT, out)) == 1
