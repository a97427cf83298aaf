"""Where to restart: outer frames, coroutines, generators, threads."""

from __future__ import annotations

import re

import pytest
from scenario import debugger


def test_up_and_restart_reruns_the_outer_frame_after_unwinding(session):
    s = session("restart_frame")
    # middle is still live at the prompt (the classic prompt lists its source,
    # so look for the printed line, not the text).
    assert not re.search(r"^middle cleanup ran", s.prompt(), re.M)
    s.send("up")
    s.prompt()
    s.send("up")
    assert "outer()" in s.prompt()
    s.fix()
    s.send("restart")
    out = s.expect(r"result: 30")
    # middle was unwound (its finally ran) before outer re-ran, then ran again.
    assert out.count("middle cleanup ran") == 2
    assert out.index("reloaded outer") < out.index("middle cleanup ran")
    s.finish(0)


def test_restart_refuses_an_uninstrumented_frame(session):
    s = session("restart_frame")
    s.prompt()
    for _ in range(3):
        s.send("up")
        s.prompt()
    s.send("up")  # the module-level frame: not a function hot_restart instruments
    s.prompt()
    s.send("restart")
    assert "cannot restart" in s.prompt()
    s.send("q")
    s.finish(1)


def test_coroutine_is_restarted_by_awaiting_the_reloaded_version(session):
    s = session("async_restart")
    assert "fetch raised ZeroDivisionError" in s.prompt()
    s.fix()
    s.send("c")
    s.expect(r"direct: 20")
    s.expect(r"task: 20")  # the fix also applies to the task created later
    s.finish(0)


def test_generator_crash_restarts_its_consumer(session):
    s = session("generator_restart")
    before = s.prompt()
    assert "produce raised ZeroDivisionError" in before
    assert "reload its caller" in before
    s.fix()
    s.send("c")
    out = s.expect(r"total: 60")
    assert "restarting its caller consume instead" in out
    # A fresh generator in the re-run consumer: the items consumed before the
    # crash are produced again by it, not re-yielded by the crashed generator.
    assert out.count("got 0") == 1 and "got 30" in out
    s.finish(0)


def test_worker_thread_crash_prompts_in_that_thread(session):
    s = session("thread_crash")
    before = s.prompt()
    assert "[thread Worker-1]" in before
    s.fix()
    s.send("c")
    s.expect(r"results: \{'a': 1.0\}")
    s.finish(0)


def test_two_crashing_threads_get_one_session_each_in_turn(session):
    s = session("threads_two")
    first = s.prompt()
    thread_a = "[thread Worker-a]" in first
    assert thread_a or "[thread Worker-b]" in first
    s.fix()
    s.send("c")
    second = s.prompt()  # the other thread waited for the first session to end
    assert ("[thread Worker-b]" if thread_a else "[thread Worker-a]") in second
    s.send("c")  # already fixed on disk: the reload picks it up
    s.expect(r"results: \{'a': 2, 'b': 2\}")
    s.finish(0)


@pytest.mark.skipif(
    debugger() == "ipdb",
    reason="IPython reads each prompt line in a helper thread of its own, so where a "
    "terminal's SIGINT lands (and which reader gets the next line) varies from run to run; "
    "see tests/test_classic_interrupt.py",
)
def test_ctrl_c_still_reaches_the_main_thread_while_a_worker_is_at_the_prompt(session):
    s = session("threads_two")
    s.prompt()
    s.child.sendintr()
    s.expect("main thread interrupted")
    s.send("q")  # the first worker's session ends: its exception propagates
    # The second worker's turn.  Its prompt may be interleaved with the first
    # worker's traceback, which threading prints at the same moment.
    s.expect(r"raised ZeroDivisionError\(.*\) \[thread Worker-[ab]\]")
    s.send("q")
    out = s.finish(3)
    assert out.count("ZeroDivisionError") >= 2


@pytest.mark.parametrize("scenario", ["thread_crash", "async_restart", "generator_restart"])
def test_without_a_terminal_threads_and_asyncio_never_prompt(tmp_path, scenario):
    """Same output and exit status as the program without hot_restart."""
    import shutil
    import subprocess
    import sys

    from scenario import ROOT, SCENARIOS

    def run(source: str) -> subprocess.CompletedProcess[str]:
        prog = tmp_path / "prog.py"
        prog.write_text(source)
        return subprocess.run(
            [sys.executable, str(prog)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        )

    source = (SCENARIOS / scenario / "in_1.py").read_text()
    with_it = run(source)
    without = run(source.replace("hot_restart.wrap_module()", "pass"))
    shutil.rmtree(tmp_path / "__pycache__", ignore_errors=True)
    assert (with_it.returncode, with_it.stdout, with_it.stderr) == (
        without.returncode,
        without.stdout,
        without.stderr,
    )
    assert "Error" in with_it.stderr  # the crash did happen, as a plain traceback


def test_async_generator_crash_restarts_its_consumer(session):
    s = session("async_generator")
    assert "produce raised ZeroDivisionError" in s.prompt()
    s.fix()
    s.send("c")
    out = s.expect(r"total: 60")
    assert "restarting its caller consume instead" in out
    s.finish(0)
