"""Edits that cannot be loaded: a message, the prompt again, nothing swapped."""

from __future__ import annotations


def start(session):
    s = session("bad_edit")
    before = s.prompt()
    assert "small: v1:1" in before
    assert "> hot_restart: __main__.compute raised ValueError('9 is too big')" in before
    return s


def test_syntax_error_keeps_the_running_version(session):
    s = start(session)
    s.fix("in_syntax.py")
    s.send("c")
    again = s.prompt()
    assert f"syntax error in {s.prog}:5" in again
    # The running version is untouched: calling it from the prompt still
    # gives the first version's answer.
    s.send("p compute(2)")
    assert "'v1:2'" in s.prompt()
    s.fix()
    s.send("c")
    s.expect(r"big: v2:9\r?\n")
    s.finish(0)


def test_renamed_function(session):
    s = start(session)
    s.fix("in_renamed.py")
    s.send("c")
    again = s.prompt()
    assert f"compute is no longer defined in {s.prog} (renamed or deleted?)" in again
    s.send("q")
    out = s.finish(1)
    assert "ValueError: 9 is too big" in out


def test_deleted_file(session):
    s = start(session)
    s.prog.unlink()
    s.send("c")
    again = s.prompt()
    assert f"{s.prog} no longer exists" in again
    s.send("q")
    out = s.finish(1)
    assert "ValueError: 9 is too big" in out
