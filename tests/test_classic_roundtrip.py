"""The classic round-trip of the issue's example, and the ways out of a prompt."""

from __future__ import annotations

import re


def test_fix_and_continue(session):
    s = session("basic")
    before = s.prompt()
    assert "__main__.inner raised AssertionError('too big')" in before
    assert "(c)ontinue" in before
    assert 'assert x < 5, "too big"' in before  # the failing line is listed
    s.send("up")  # the live callers are reachable
    assert "outer()" in s.prompt()
    s.fix()
    s.send("c")
    # Re-run with the same argument; the line reported by the reloaded code
    # is the line in the file on disk; the fix also applies to later calls.
    s.expect(r"result: \(5, 14\)")
    s.expect(r"second call: \(4, 14\)")
    s.finish(0)


def test_continue_without_edit_prompts_again(session):
    s = session("basic")
    s.prompt()
    s.send("c")
    again = s.prompt()
    assert "reloaded inner" in again
    assert "AssertionError('too big')" in again
    s.fix()
    s.send("c")
    s.expect(r"result: \(5, 14\)")
    s.finish(0)


def test_quit_lets_the_exception_propagate(session):
    s = session("basic")
    s.prompt()
    s.send("q")
    out = s.finish(1)
    assert "AssertionError: too big" in out
    # One prompt only: outer frames do not prompt again for the same exception.
    assert len(re.findall(r"\(Pdb\) |ipdb> ", out)) == 1


def test_exit_ends_the_program(session):
    s = session("basic")
    s.prompt()
    s.send("hot_restart.exit()")
    s.prompt()
    s.send("c")
    out = s.finish(1)
    assert "AssertionError: too big" in out


def test_reraise_then_continue_propagates(session):
    s = session("basic")
    s.prompt()
    s.send("hot_restart.reraise()")
    s.prompt()
    s.send("c")
    out = s.finish(1)
    assert "AssertionError: too big" in out


def test_a_failed_rerun_ends_with_a_clean_traceback(session):
    """The re-run is called outside the except block, through a partial: a
    crash in it is not chained to the first one, and shows no frame of ours."""
    s = session("basic")
    s.prompt()
    s.send("c")  # no edit: the re-run crashes the same way
    s.prompt()
    s.send("q")
    out = s.finish(1)
    tail = out[out.rindex("Traceback (most recent call last)") :]
    assert "During handling" not in out
    assert "hot_restart" not in tail.replace("hot_restart.wrap_module", "")
    assert tail.count("AssertionError: too big") == 1


def test_restart_then_quit_is_not_chained_to_the_restart(session):
    s = session("restart_frame")
    s.prompt()
    for _ in range(2):
        s.send("up")
        s.prompt()
    s.send("restart")  # no edit: outer re-runs and crashes the same way
    s.prompt()
    s.send("q")
    out = s.finish(1)
    assert "RestartRequest" not in out and "During handling" not in out


def test_a_crash_in_a_re_run_says_what_was_not_restored(session):
    s = session("basic")
    first = s.prompt()
    caveat = "the re-run got the arguments as they were at entry"
    assert caveat not in first  # the first crash is no re-run
    s.send("c")
    again = s.prompt()
    assert caveat in again
    assert "a list it appended to, a consumed iterator, a file it wrote" in again
    s.fix()
    s.send("c")
    s.expect(r"result: \(5, 14\)")
    s.finish(0)
