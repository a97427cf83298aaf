"""A fix that adds a method to a class patches the live class in place."""

from __future__ import annotations


def test_new_method_is_added_to_the_live_class(session):
    s = session("class_patch")
    before = s.prompt()
    assert "identity before: True" in before
    assert "> hot_restart: __main__.Counter.bump raised ZeroDivisionError(" in before
    s.fix()
    s.send("c")
    # The re-run is the same call: self.n was 1 after the crash and bump()
    # increments it again, so the method sees the instance as it was left.
    s.expect(r"bump: Counter at 2\r?\n")
    s.expect(r"identity after: True True True\r?\n")
    # An instance made before the crash sees the method added by the fix.
    s.expect(r"early uses new method: Counter at 0\r?\n")
    s.expect(r"new method on class: True\r?\n")
    s.finish(0)
