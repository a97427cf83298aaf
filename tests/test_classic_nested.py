"""a -> b -> c, all wrapped; c crashes: one prompt, for c only."""

from __future__ import annotations

import re

from scenario import PROMPT


def test_innermost_crash_prompts_once_and_completes(session):
    s = session("nested")
    before = s.prompt()
    banners = re.findall(r"> hot_restart: (\S+) raised", before)
    assert banners == ["__main__.c"]
    s.fix()
    s.send("c")
    s.expect(r"result: a\(b\(c4\)\)\r?\n")
    # Only c re-ran: its callers' frames stayed alive and got its result.
    s.expect(r"log: \['a', 'b', 'c', 'c'\]\r?\n")
    out = s.finish(0)
    assert len(re.findall(PROMPT, out)) == 1
    assert len(re.findall(r"> hot_restart: ", out)) == 1


def test_quit_propagates_through_the_callers_without_prompting(session):
    s = session("nested")
    s.prompt()
    s.send("q")
    out = s.finish(1)
    assert "TypeError: can only concatenate str" in out
    assert len(re.findall(PROMPT, out)) == 1
    assert len(re.findall(r"> hot_restart: ", out)) == 1


def test_restart_an_outer_frame(session):
    s = session("nested")
    s.prompt()
    s.send("up")
    assert "b(" in s.prompt()
    s.fix()
    s.send("restart")
    s.expect(r"result: a\(b\(c4\)\)\r?\n")
    # b ran again from its start (so did the fixed c), a did not.
    s.expect(r"log: \['a', 'b', 'c', 'b', 'c'\]\r?\n")
    out = s.finish(0)
    assert len(re.findall(PROMPT, out)) == 2


def test_restart_refuses_the_module_frame_then_restarts_the_outermost(session):
    s = session("nested")
    s.prompt()
    for _ in range(3):  # c -> b -> a -> <module>
        s.send("up")
        s.prompt()
    s.send("restart")
    refused = s.prompt()
    assert "cannot restart <module>: hot_restart does not instrument it" in refused
    s.send("down")
    assert "a(" in s.prompt()
    s.fix()
    s.send("restart")
    s.expect(r"result: a\(b\(c4\)\)\r?\n")
    s.expect(r"log: \['a', 'b', 'c', 'a', 'b', 'c'\]\r?\n")
    s.finish(0)
