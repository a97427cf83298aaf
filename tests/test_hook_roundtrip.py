"""The round-trip through the import hook: no decorator anywhere."""

from __future__ import annotations


def test_fix_reaches_every_existing_reference(session):
    s = session("hook_package", main="myapp/core.py", run="main.py")
    before = s.prompt()
    assert "myapp.core.scale raised ZeroDivisionError" in before
    s.fix()
    s.send("c")
    # Re-run with factor=3 as it was at entry, not the rebound 0.
    s.expect(r"scale: 16")
    # The callback registered before the crash runs the new code.
    s.expect(r"later via callback: 15")
    # The bound method taken before the crash was edited too: the reload of
    # every edited definition on `c` fixed it in place before it could crash.
    s.expect(r"total: 6")
    s.finish(0)
