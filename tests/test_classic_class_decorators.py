"""``@hot_restart.wrap_class`` and ``@hot_restart.wrap(...)`` applied to a class
as decorators; the keyword options of ``wrap`` reach every method."""

from __future__ import annotations

import re

from scenario import PROMPT


def test_wrap_class_decorator(session):
    s = session("class_decorators", args=["prog.py", "a"])
    assert "> hot_restart: __main__.A.m raised ZeroDivisionError(" in s.prompt()
    s.fix()
    s.send("c")
    s.expect(r"A: 6\r?\n")
    s.finish(0)


def test_wrap_class_with_propagated_exceptions_lets_them_pass(session):
    s = session("class_decorators", args=["prog.py", "bkey"])
    out = s.finish(0)
    assert "handled" in out
    assert not re.search(PROMPT, out)
    assert "hot_restart:" not in out


def test_wrap_class_with_propagated_exceptions_prompts_for_others(session):
    s = session("class_decorators", args=["prog.py", "bval"])
    assert "> hot_restart: __main__.B.get raised ValueError('none')" in s.prompt()
    s.fix()
    s.send("c")
    s.expect(r"B: 1\r?\n")
    s.finish(0)
