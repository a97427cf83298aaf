"""``@hot_restart.wrap`` above other decorators: it reaches the function they
wrap (through ``__wrapped__``) and the outer decorator keeps working."""

from __future__ import annotations

import re

from scenario import PROMPT


def test_above_functools_cache(session):
    s = session("decorated", args=["prog.py", "cache"])
    before = s.prompt()
    assert "> hot_restart: __main__.square raised ZeroDivisionError(" in before
    s.fix()
    s.send("c")
    s.expect(r"square: 9\r?\n")
    s.expect(r"square again: 9\r?\n")
    s.expect(r"square other: 16\r?\n")
    # 3 was computed by the crashed call (which appended before raising) and
    # its re-run, 4 once; the second square(3) was a cache hit.
    s.expect(r"computed: \[3, 3, 4\] 1\r?\n")
    out = s.finish(0)
    assert len(re.findall(PROMPT, out)) == 1


def test_above_a_functools_wraps_decorator(session):
    s = session("decorated", args=["prog.py", "wraps"])
    before = s.prompt()
    assert "calling add (2, 3)" in before
    assert "> hot_restart: __main__.add raised TypeError(" in before
    s.fix()
    s.send("c")
    s.expect(r"add: 5\r?\n")
    s.expect(r"calling add \(4, 5\)\r?\n")
    s.expect(r"add again: 9\r?\n")
    s.expect(r"name kept: add add\r?\n")
    out = s.finish(0)
    assert len(re.findall(PROMPT, out)) == 1
    # The re-run is the inner function's: the wrapper did not run again.
    assert out.count("calling add (2, 3)") == 1
