"""``hot_restart.RELOAD_ALL_ON_CONTINUE``: continuing also reloads the other
edited functions, not only the one that crashed."""

from __future__ import annotations


def test_reload_all_applies_every_edit(session):
    s = session("reload_all", args=["prog.py", "all"])
    before = s.prompt()
    assert "before: old helper" in before
    assert "> hot_restart: __main__.crash raised ZeroDivisionError(" in before
    s.fix()
    s.send("c")
    s.expect(r"crash: crash sees new helper\r?\n")
    s.expect(r"after: new helper\r?\n")
    s.finish(0)


def test_without_reload_all_only_the_crashed_function_is_reloaded(session):
    # The control case: the same edit, but only crash() is rebuilt.
    s = session("reload_all", args=["prog.py", "only"])
    s.prompt()
    s.fix()
    s.send("c")
    s.expect(r"crash: crash sees old helper\r?\n")
    s.expect(r"after: old helper\r?\n")
    s.finish(0)
