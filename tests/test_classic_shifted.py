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


def property_setter_session(session):
    s = session("shifted_property")
    before = s.prompt()
    assert "> hot_restart: __main__.Box.value raised ZeroDivisionError(" in before
    return s


def test_property_setter_fix_in_place(session):
    # The control case: the setter is fixed without moving any line.
    s = property_setter_session(session)
    s.fix("in_same_lines.py")
    s.send("c")
    s.expect(r"value: 50\r?\n")
    s.expect(r"value: 70\r?\n")
    s.finish(0)


def test_property_setter_fix_after_lines_were_added_above(session):
    s = property_setter_session(session)
    s.fix()
    s.send("c")
    s.expect(r"value: 50\r?\n")
    s.expect(r"value: 70\r?\n")
    s.finish(0)
