"""pudb's real full-screen UI, driven through a pseudo-terminal.

pudb draws with urwid on an ``xterm`` of 120x40; the tests wait for its
screen (the command-line pane's title), press keys, and read what the
program prints once pudb has given the terminal back.  ``HOME`` is the
test's temporary folder, with a pudb.cfg that has seen the welcome screen
(otherwise it would take the first key).
"""

from __future__ import annotations

from importlib.util import find_spec

import pytest
from scenario import error_line

# Not importorskip: pudb imported in this process would be chosen by every
# later in-process test that lets hot_restart pick a debugger.
pytestmark = pytest.mark.skipif(find_spec("pudb") is None, reason="pudb is not installed")

PUDB_SCREEN = r"Command line: \[ctrl.x\]"  # the last pane pudb draws
ENV = {"HOT_RESTART_DEBUGGER": "pudb", "TERM": "xterm"}


@pytest.fixture
def pudb_session(session, tmp_path):
    config = tmp_path / ".config" / "pudb"
    config.mkdir(parents=True)
    (config / "pudb.cfg").write_text("[pudb]\nseen_welcome = e999\n")

    def start(**env: str):
        s = session("pudb", main="app.py", run="main.py", env={**ENV, **env})
        s.child.setwinsize(40, 120)
        return s

    return start


def test_c_reloads_and_reruns(pudb_session):
    s = pudb_session()
    before = s.expect(PUDB_SCREEN)
    assert "hot_restart: app.compute raised ZeroDivisionError" in before
    s.fix()
    s.child.send("c")
    out = s.expect(r"result: 20")
    assert "reloaded compute" in out
    s.finish(0)


def test_q_lets_the_exception_propagate(pudb_session):
    s = pudb_session()
    s.expect(PUDB_SCREEN)
    s.fix()  # even with a fix on disk: q declines
    s.child.send("q")
    out = s.finish(1)
    assert "reloaded" not in out
    assert error_line("100 // 0") in out


def test_reraise_from_pudbs_command_line_then_c(pudb_session):
    s = pudb_session()
    s.expect(PUDB_SCREEN)
    s.child.send("\x18")  # Ctrl-X: to the command line
    s.child.send("import hot_restart; hot_restart.reraise()\r")
    s.expect(r"hot_restart\.reraise\(\)")
    s.child.send("\x18")  # back to the source
    s.child.send("c")
    out = s.finish(1)
    assert "reloaded" not in out
    assert "ZeroDivisionError" in out


def test_watch_to_continue_says_pudb_is_continued_by_hand(pudb_session):
    s = pudb_session(HOT_RESTART_WATCH="1")
    before = s.expect(PUDB_SCREEN)
    assert "watch-to-continue works with pdb and ipdb, not pudb: continue by hand" in before
    s.child.send("q")
    s.finish(1)
