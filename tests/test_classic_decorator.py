"""``@hot_restart.wrap`` as a bare decorator and with ``propagated_exceptions``."""

from __future__ import annotations

import re

from scenario import PROMPT


def prompts(out: str) -> int:
    return len(re.findall(PROMPT, out))


def test_bare_decorator_fix_and_continue(session):
    s = session("decorator", args=["prog.py", "plain"])
    before = s.prompt()
    assert "> hot_restart: __main__.ratio raised ZeroDivisionError(" in before
    s.fix()
    s.send("c")
    s.expect(r"ratio: 7\r?\n")
    # The fix stays in place for later calls: no second prompt.
    s.expect(r"again: 9\r?\n")
    out = s.finish(0)
    assert prompts(out) == 1


def test_propagated_exception_handled_by_program_never_prompts(session):
    s = session("decorator", args=["prog.py", "handled-keyerror"])
    out = s.finish(0)
    assert "program handled KeyError 'missing'" in out
    assert "done" in out
    assert "hot_restart:" not in out
    assert prompts(out) == 0


def test_propagated_exception_unhandled_is_a_plain_traceback(session):
    s = session("decorator", args=["prog.py", "unhandled-keyerror"])
    out = s.finish(1)
    assert "Traceback (most recent call last)" in out
    assert "KeyError: 'missing'" in out
    assert "hot_restart:" not in out
    assert prompts(out) == 0


def test_other_exception_of_keyword_form_prompts(session):
    s = session("decorator", args=["prog.py", "valueerror"])
    before = s.prompt()
    assert "> hot_restart: __main__.lookup raised ValueError('bad key 1')" in before
    s.fix()
    s.send("c")
    s.expect(r"lookup: one\r?\n")
    out = s.finish(0)
    assert prompts(out) == 1
