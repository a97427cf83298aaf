"""A default argument naming a class-level constant, changed by the fix."""

from __future__ import annotations


def test_new_default_naming_a_class_constant_applies_to_later_calls(session):
    s = session("defaults")
    before = s.prompt()
    assert "> hot_restart: __main__.Limiter.check raised TypeError(" in before
    s.fix()
    s.send("c")
    # The re-run repeats the crashed call as it was made, ``lim.check(4)``:
    # it did not pass ``limit``, so the new default applies, as it would
    # running the fixed file.
    s.expect(r"first: 4 vs 4: OK\r?\n")
    # Later calls get the new default, LIMIT + 1, evaluated in the class body.
    s.expect(r"later: 4 vs 4: OK\r?\n")
    s.expect(r"explicit: 4 vs 10: OK\r?\n")
    s.finish(0)
