"""A nested function wrapped with ``@hot_restart.wrap`` inside another."""

from __future__ import annotations

import re

from scenario import PROMPT, error_line


def test_fix_keeps_the_closure_value(session):
    s = session("closure")
    before = s.prompt()
    assert "> hot_restart: __main__.outer.<locals>.inner raised ZeroDivisionError(" in before
    s.fix()
    s.send("c")
    s.expect(r"first: 6\r?\n")  # factor=2 still seen by the re-run
    s.expect(r"second: 15\r?\n")  # a new closure (factor=5) runs the fixed code
    out = s.finish(0)
    assert len(re.findall(PROMPT, out)) == 1


def test_fix_that_needs_a_new_outer_variable_is_refused(session):
    s = session("closure")
    s.prompt()
    s.fix("in_new_var.py")
    s.send("c")
    again = s.prompt()
    # The message names the variable and what to do instead.
    assert "inner now uses 'offset' from outer" in again
    assert "`up` to the enclosing function and `restart` it" in again
    s.send("q")
    out = s.finish(1)
    assert error_line("6 // 0") in out
    assert not re.search(r"^first:", out, re.M)  # the program did not go on


def test_fix_after_lines_were_added_above_applies_to_later_closures(session):
    s = session("closure")
    s.prompt()
    s.fix("in_shifted.py")
    s.send("c")
    s.expect(r"first: 6\r?\n")
    s.expect(r"second: 15\r?\n")
    out = s.finish(0)
    assert "RuntimeWarning" not in out
