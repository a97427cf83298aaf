"""Ctrl-C typed at the hot_restart prompt.

With pdb, Ctrl-C at the prompt interrupts only the line being typed: pdb
prints ``--KeyboardInterrupt--`` and prompts again, at the same crash; the
session then goes on as usual (``q`` propagates the original exception, a
fix and ``c`` continues).

ipdb is not tested here: IPython's TerminalPdb reads each line in a worker
thread (``thread_executor.submit(self._prompt).result()``), and SIGINT lands
in either thread.  ``--KeyboardInterrupt--`` and a new ``ipdb>`` do appear,
but the abandoned prompt may still be reading the terminal: the next line
is then swallowed, or its characters are split between the two readers
(``p 'x'`` echoed as ``pp  ''xx''``, ``q`` read as ``qq`` or a SyntaxError),
differently from run to run.  The program does not hang for good (a later
``q`` or Ctrl-D ends it), and plain ``ipdb.post_mortem`` without hot_restart
behaves the same, so this is IPython's behaviour; a test of it could only
be flaky.
"""

from __future__ import annotations

import re

import pytest
from scenario import PROMPT, debugger

pytestmark = pytest.mark.skipif(
    debugger() != "pdb",
    reason="ipdb reads lines in a worker thread; Ctrl-C at its prompt races (see module doc)",
)


def interrupt_at_prompt(session):
    s = session("basic")
    s.prompt()
    s.child.sendintr()
    again = s.prompt()
    assert "--KeyboardInterrupt--" in again
    return s


def test_ctrl_c_then_quit(session):
    s = interrupt_at_prompt(session)
    s.send("q")
    out = s.finish(1)
    assert "AssertionError: too big" in out
    assert "KeyboardInterrupt" not in out.split("--KeyboardInterrupt--", 1)[1]
    assert len(re.findall(PROMPT, out)) == 2


def test_ctrl_c_then_fix_and_continue(session):
    s = interrupt_at_prompt(session)
    s.fix()
    s.send("c")
    s.expect(r"result: \(5, 14\)")
    s.expect(r"second call: \(4, 14\)")
    s.finish(0)
