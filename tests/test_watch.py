"""Watch-to-continue: saving the crashed function's file continues by itself.

The scenario tests type nothing after the crash: they overwrite the file and
wait for the program's output, so they pass only if the save alone ends the
prompt (under pdb and ipdb alike).
"""

from __future__ import annotations

import os
import threading

import pytest
from scenario import debugger

from hot_restart.runtime import watch


def test_saving_the_file_continues_without_typing_c(session):
    s = session("watch", main="app.py", run="main.py")
    assert "app.compute raised ZeroDivisionError" in s.prompt()
    s.fix()  # nothing is typed after this
    out = s.expect(r"result: 20")
    assert "app.py saved: continuing" in out
    assert "reloaded compute" in out
    s.finish(0)


def test_hot_restart_watch_in_the_environment_turns_it_on(session):
    s = session("watch", main="app.py", run="by_env.py", env={"HOT_RESTART_WATCH": "1"})
    s.prompt()
    s.fix()
    s.expect(r"result: 20")
    s.finish(0)


def test_a_broken_save_reports_and_the_next_save_continues(session):
    s = session("watch", main="app.py", run="main.py")
    s.prompt()
    s.fix("in_bad.py")
    out = s.prompt()  # the same crash, prompting again with the old version
    assert "syntax error in" in out and "app.py:2" in out
    s.fix()
    s.expect(r"result: 20")
    s.finish(0)


def test_typing_still_works_while_watching(session):
    s = session("watch", main="app.py", run="main.py")
    s.prompt()
    s.send("p x")
    assert "4" in s.prompt()
    s.send("q")
    s.finish(1)


def test_a_save_after_commands_still_continues(session):
    s = session("watch", main="app.py", run="main.py")
    s.prompt()
    s.send("p x * 10")
    assert "40" in s.prompt()
    s.fix()
    s.expect(r"result: 20")
    s.finish(0)


# The pieces, in-process: no terminal needed.


def test_poller_fires_once_the_file_changed_and_again_until_stopped(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("x = 1\n")
    calls = threading.Semaphore(0)
    poller = watch.Poller([str(path)], calls.release, interval=0.01).start()
    try:
        path.write_text("x = 22\n")
        assert calls.acquire(timeout=10)
        assert calls.acquire(timeout=10)  # redelivered: a prompt may open later
    finally:
        poller.stop()


def test_poller_waits_for_a_file_replaced_by_rename(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("x = 1\n")
    fired = threading.Event()
    poller = watch.Poller([str(path)], fired.set, interval=0.01).start()
    try:
        new = tmp_path / "m.py.tmp"
        new.write_text("x = 1\n")  # same size, maybe the same mtime: a new inode
        os.replace(new, path)
        assert fired.wait(timeout=10)
    finally:
        poller.stop()


class _Stream:
    def __init__(self, fd: int) -> None:
        self._fd = fd
        self.encoding = "utf-8"

    def fileno(self) -> int:
        return self._fd


def test_wakeable_input_reads_lines_then_continues_when_woken():
    r, w = os.pipe()
    announced = []
    stdin = watch.WakeableInput(_Stream(r), lambda: announced.append(True))
    try:
        os.write(w, b"p x\nwhere\nup")
        assert stdin.readline() == "p x\n"
        assert stdin.readline() == "where\n"
        stdin.wake()
        assert stdin.readline() == "continue\n"  # "up" was half typed: dropped
        assert announced == [True]
        os.write(w, b"p y\n")
        assert stdin.readline() == "continue\n"  # woken for good
        assert announced == [True]
    finally:
        stdin.close()
        os.close(r)
        os.close(w)


def test_wakeable_input_end_of_input_is_pdbs_eof():
    r, w = os.pipe()
    stdin = watch.WakeableInput(_Stream(r), lambda: None)
    try:
        os.write(w, b"where\n")
        os.close(w)
        assert stdin.readline() == "where\n"
        assert stdin.readline() == ""
    finally:
        stdin.close()
        os.close(r)


@pytest.mark.skipif(
    debugger() != "pdb", reason="Ctrl-C at ipdb's prompt races (test_classic_interrupt)"
)
def test_ctrl_c_and_ctrl_d_keep_their_meaning_while_watching(session):
    s = session("watch", main="app.py", run="main.py")
    s.prompt()
    s.child.sendintr()
    assert "--KeyboardInterrupt--" in s.prompt()
    s.child.sendeof()  # Ctrl-D: let the exception propagate
    out = s.finish(1)
    assert "ZeroDivisionError" in out.rsplit("--KeyboardInterrupt--", 1)[1]


def test_hot_restart_watch_set_after_start_up_takes_effect_at_the_crash(session):
    s = session("watch", main="app.py", run="set_later.py")
    s.prompt()
    s.fix()
    s.expect(r"result: 20")
    s.finish(0)
