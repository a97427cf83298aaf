"""Lines added above the crashed function before continuing."""

from __future__ import annotations

import re

from scenario import SCENARIOS


def line_of(marker: str) -> int:
    lines = (SCENARIOS / "shifted" / "in_2.py").read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if marker in text)


def test_reload_finds_the_moved_function_and_reports_its_new_lines(session):
    a, b = line_of("LINE-A"), line_of("LINE-B")
    assert (a, b) == (13, 14)  # five lines below where they were in in_1.py
    s = session("shifted")
    before = s.prompt()
    assert "> hot_restart: __main__.where raised ZeroDivisionError(" in before
    s.fix()
    s.send("c")
    s.expect(rf"where: \({a}, {b}\)\r?\n")
    s.expect(rf"again: \({a}, {b}\)\r?\n")
    out = s.finish(0)
    assert len(re.findall(r"> hot_restart: ", out)) == 1
