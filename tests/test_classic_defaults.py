"""A default argument naming a class-level constant, changed by the fix."""

from __future__ import annotations


def test_new_default_naming_a_class_constant_applies_to_later_calls(session):
    s = session("defaults")
    before = s.prompt()
    assert "> hot_restart: __main__.Limiter.check raised TypeError(" in before
    s.fix()
    s.send("c")
    # The re-run repeats the crashed call with its arguments as they were
    # bound at entry, so it still sees the default of that call (3).
    s.expect(r"first: 4 vs 3: OVER\r?\n")
    # Later calls get the new default, LIMIT + 1, evaluated in the class body.
    s.expect(r"later: 4 vs 4: OK\r?\n")
    s.expect(r"explicit: 4 vs 10: OK\r?\n")
    s.finish(0)
