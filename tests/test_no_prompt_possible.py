"""Where no prompt can ever open, exceptions pass instrumented frames uncaught.

``trampoline.handle.catching`` is what every generated ``except`` catches:
BaseException while a prompt is possible in the process, () otherwise (then an
exception unwinds the frame as in plain code and no entry arguments are
recorded).  These tests check when it is which (real streams: a pseudo-terminal
and a buffer), that a later prompt is never lost (a redirect and back, a host
asking again), that a frame which started unrecorded is never re-run with
rebound values, that a debugger stepping through such frames keeps working,
and that the runtime is never asked in a process that cannot prompt.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scenario import ROOT

from hot_restart.runtime import state, trampoline

TIMEOUT = 30


@pytest.fixture
def terminal() -> Iterator[io.TextIOWrapper]:
    """One end of a real pseudo-terminal, as a text stream."""
    master, slave = os.openpty()
    stream = open(slave, "w", encoding="utf-8")
    try:
        yield stream
    finally:
        stream.close()
        os.close(master)


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[state.State]:
    """A State of its own, publishing to a handler of its own, with no debugger loaded."""
    monkeypatch.delenv("HOT_RESTART_FORCE_PROMPT", raising=False)
    monkeypatch.setattr(state, "_DEBUGGERS", ("no debugger here",))
    s = state.State()

    def handler() -> None:
        pass

    s.handlers.append(handler)
    yield s
    state._watch_imports(s, False)


def streams(
    monkeypatch: pytest.MonkeyPatch, stdin: Any, stdout: Any, original_in: Any, original_out: Any
) -> None:
    monkeypatch.setattr(sys, "stdin", stdin)
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "__stdin__", original_in)
    monkeypatch.setattr(sys, "__stdout__", original_out)


def test_no_terminal_anywhere_catches_nothing(monkeypatch, fresh):
    streams(monkeypatch, io.StringIO(), io.StringIO(), io.StringIO(), None)
    fresh.refresh_catching()
    assert fresh.catching == () and fresh.handlers[0].catching == ()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "which",
    ["current streams", "original streams", "stdin now, stdout as it was"],
)
def test_a_terminal_now_or_originally_catches(monkeypatch, fresh, terminal, which):
    buffer = io.StringIO()
    pairs = {
        "current streams": (terminal, terminal, buffer, buffer),
        # redirect_stdout, a test runner's capture: the program may go back.
        "original streams": (buffer, buffer, terminal, terminal),
        "stdin now, stdout as it was": (terminal, buffer, buffer, terminal),
    }
    streams(monkeypatch, *pairs[which])
    fresh.refresh_catching()
    assert fresh.handlers[0].catching is BaseException  # type: ignore[attr-defined]


def test_stdin_a_terminal_and_stdout_a_pipe_catches_nothing(monkeypatch, fresh, terminal):
    """``prog | less``: no prompt today either (interactive() wants both)."""
    streams(monkeypatch, terminal, io.StringIO(), terminal, io.StringIO())
    fresh.refresh_catching()
    assert fresh.catching == ()
    assert not fresh.interactive()


def test_every_change_of_the_answer_is_published(monkeypatch, fresh):
    streams(monkeypatch, io.StringIO(), io.StringIO(), None, None)
    handler = fresh.handlers[0]
    fresh.refresh_catching()
    assert handler.catching == ()  # type: ignore[attr-defined]

    fresh.real_terminal = True  # a host (the pytest plugin) hands over its terminal
    assert handler.catching is BaseException  # type: ignore[attr-defined]
    fresh.real_terminal = False
    assert handler.catching == ()  # type: ignore[attr-defined]

    monkeypatch.setenv("HOT_RESTART_FORCE_PROMPT", "1")
    fresh.forget_terminal()  # "the environment changed"
    assert handler.catching is BaseException  # type: ignore[attr-defined]
    monkeypatch.delenv("HOT_RESTART_FORCE_PROMPT")
    fresh.settings_changed()
    assert handler.catching == ()  # type: ignore[attr-defined]


def test_a_registered_prompt_place_is_asked_at_once(monkeypatch, fresh):
    """Registering is enough: the list itself asks again (no forget_terminal needed)."""
    streams(monkeypatch, io.StringIO(), io.StringIO(), None, None)
    fresh.refresh_catching()
    connected = [False]

    def kernel_stdin() -> bool:
        return connected[0]

    fresh.prompt_places.append(kernel_stdin)
    assert fresh.catching == ()
    connected[0] = True
    fresh.forget_terminal()  # the place's answer changed: it says so
    assert fresh.catching is BaseException
    assert fresh.interactive()
    fresh.prompt_places.remove(kernel_stdin)
    assert fresh.catching == ()


def test_a_failing_prompt_place_cannot_prompt(monkeypatch, fresh):
    streams(monkeypatch, io.StringIO(), io.StringIO(), None, None)

    def broken() -> bool:
        raise OSError("the channel is gone")

    fresh.prompt_places.append(broken)
    assert fresh.catching == ()
    assert not fresh.interactive()


def test_once_a_prompt_opened_the_handlers_keep_catching(monkeypatch, fresh, terminal):
    """A restart request unwinding to its frame after the prompt must be
    caught there, whatever the streams became meanwhile."""
    streams(monkeypatch, terminal, terminal, None, None)
    fresh.refresh_catching()
    fresh.prompted = True  # as trampoline._decide sets it before prompting
    streams(monkeypatch, io.StringIO(), io.StringIO(), None, None)
    fresh.forget_terminal()
    assert fresh.catching is BaseException


def test_a_loaded_debugger_makes_the_handlers_catch(monkeypatch, fresh):
    """bdb steps through frames and compares the line a finished frame ends on
    with an int: a frame whose exception was not caught ends on no line."""
    streams(monkeypatch, io.StringIO(), io.StringIO(), None, None)
    monkeypatch.setattr(state, "_DEBUGGERS", ("bdb",))
    assert "bdb" in sys.modules  # pytest imports pdb
    fresh.refresh_catching()
    assert fresh.catching is BaseException


# Real processes.


def env(**extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "HOT_RESTART_DEBUGGER": "pdb",
        **extra,
    }


def run(
    script: Path, *args: str, stdin: str | None = None, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args, str(script)],
        cwd=script.parent,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env(**extra),
    )


ASKED = """\
import sys
import hot_restart
hot_restart.install(["work"])
from hot_restart.runtime import trampoline

asked = 0
def count(frame, event, arg):
    global asked
    if event == "call" and frame.f_code is trampoline.handle.__code__:
        asked += 1
sys.setprofile(count)
import work
print(work.catch(50))
sys.setprofile(None)
print("catching", trampoline.handle.catching, "asked", asked)
if trampoline.handle.catching == ():
    try:
        work.clamp(-1)  # it rebinds x: it records while a prompt is possible
    except ZeroDivisionError:
        print("recorded", trampoline.entry_arguments)
"""

WORK = """\
def lookup(table, key):
    return table[key]


def catch(n):
    missed = 0
    for i in range(n):
        try:
            lookup({}, i)
        except KeyError:
            missed += 1
    return missed


def clamp(x):
    x = max(0, x)
    return 1 / x
"""


def test_without_a_prompt_the_runtime_is_never_asked(tmp_path):
    (tmp_path / "work.py").write_text(WORK)
    script = tmp_path / "main.py"
    script.write_text(ASKED)
    quiet = run(script)
    assert quiet.returncode == 0, quiet.stderr
    assert "catching () asked 0" in quiet.stdout
    assert "recorded {}" in quiet.stdout
    forced = run(script, HOT_RESTART_FORCE_PROMPT="1")
    assert "catching <class 'BaseException'> asked 50" in forced.stdout, forced.stderr


PUBLISHED = """\
import hot_restart
hot_restart.install(["work"])
from hot_restart.runtime import trampoline
from hot_restart.runtime.state import STATE
import work

print("imported", work.__hot_restart_catching__)
STATE.real_terminal = True
print("terminal", work.__hot_restart_catching__)
seen = []


def inside():
    seen.append(len(trampoline.entry_arguments))
    STATE.real_terminal = False
    seen.append(len(trampoline.entry_arguments))
    return 1


print("held", work.hold(5, inside), seen, work.__hot_restart_catching__)
print("left", trampoline.entry_arguments)
"""


def test_what_handlers_catch_is_published_to_instrumented_modules(tmp_path):
    """Generated code reads it as a module global, which follows every change;
    when nothing is caught any more, no handler would drop a record: none is kept."""
    (tmp_path / "work.py").write_text(WORK + HOLD)
    script = tmp_path / "main.py"
    script.write_text(PUBLISHED)
    done = run(script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "imported ()",
        "terminal <class 'BaseException'>",
        "held 6 [1, 0] ()" if sys.version_info >= (3, 11) else "held 6 [1, 1] ()",
        "left {}",
    ]


HOLD = """

def hold(x, then):
    x = x + then()
    return x
"""


def test_the_uncaught_traceback_is_plain_pythons(tmp_path):
    (tmp_path / "work.py").write_text(WORK)
    script = tmp_path / "main.py"
    script.write_text("import work\nwork.clamp(-1)\n")
    plain = run(script)
    hooked = run(script, "-m", "hot_restart")
    assert plain.returncode == hooked.returncode == 1
    assert hooked.stderr == plain.stderr
    assert "line 17, in clamp\n    return 1 / x\n" in plain.stderr


TEARDOWN = """\
import sys


class Noisy:
    def __del__(self):
        raise ValueError("boom in __del__")


sys.keepalive = sys.modules[__name__]  # so its globals are torn down at exit
keep = Noisy()
print("end of the program")
"""


@pytest.mark.parametrize("prompt", ["forced", "terminal-less"])
def test_an_error_in_del_while_globals_are_torn_down(tmp_path, prompt):
    """``__hot_restart__`` is None by then: the except clause must not fail on it."""
    script = tmp_path / "prog.py"
    script.write_text(TEARDOWN)
    extra = {"HOT_RESTART_FORCE_PROMPT": "1"} if prompt == "forced" else {}
    plain = run(script, **extra)
    hooked = run(script, "-m", "hot_restart", **extra)
    assert "ValueError: boom in __del__" in plain.stderr
    assert (hooked.returncode, hooked.stdout, without_addresses(hooked.stderr)) == (
        plain.returncode,
        plain.stdout,
        without_addresses(plain.stderr),
    )


def without_addresses(text: str) -> str:
    return re.sub(r"0x[0-9a-fA-F]+", "0x?", text)


STEPPED = """\
def inner():
    breakpoint()
    x = 1
    return 1 / x * 0 / 0


def outer():
    try:
        inner()
    except ZeroDivisionError:
        print("caught by outer")
"""


def test_pdb_steps_out_of_an_uncaught_frame_without_a_terminal(tmp_path):
    """pdb imported late (by ``breakpoint()``), reading commands from a pipe:
    ``next`` over the line whose exception leaves ``inner``, then ``next``
    again (bdb compares the line the finished frame ends on with an int)."""
    (tmp_path / "app.py").write_text(STEPPED)
    script = tmp_path / "main.py"
    script.write_text("import app\napp.outer()\nprint('done')\n")
    commands = "next\nnext\nnext\nnext\ncontinue\n"
    plain = run(script, stdin=commands)
    hooked = run(script, "-m", "hot_restart", stdin=commands)
    assert "caught by outer" in plain.stdout and "done" in plain.stdout
    assert "TypeError" not in hooked.stdout + hooked.stderr
    assert hooked.returncode == 0, hooked.stdout + hooked.stderr
    assert "caught by outer" in hooked.stdout and "done" in hooked.stdout


# Through a terminal, with the debugger.


def piped_session(session: Any, scenario: str, **extra: str) -> Any:
    """The scenario under ``python -m hot_restart``, stdin on the terminal and
    stdout into a pipe: no prompt is possible when it starts."""
    command = f"set -o pipefail; {shlex.quote(sys.executable)} -m hot_restart prog.py | cat"
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("needs bash for a pipeline with pipefail")
    shim = f"import os; os.execv({bash!r}, ['bash', '-c', {command!r}])"
    return session(scenario, args=["-c", shim], env=extra)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 always records (no gate)")
def test_a_frame_that_started_unrecorded_is_not_re_run_with_rebound_values(session):
    s = piped_session(session, "args_not_kept")
    before = s.prompt()
    assert "scale raised ZeroDivisionError" in before
    s.fix()
    s.send("c")
    # Re-running scale with n=6 (rebound) would print "result: 2".
    refused = s.prompt()
    assert "the arguments scale was called with were not kept" in refused
    assert "`up` and `restart` a caller" in refused
    s.send("up")
    s.prompt()
    s.send("restart")
    out = s.expect(r"result: -?\d+")
    assert "result: -10" in out
    s.finish(0)


def test_a_prompt_after_a_redirect_to_a_buffer(session):
    """stdout was a buffer for a while (and a host asked again meanwhile);
    the crash after it still prompts."""
    s = session("prompt_after_redirect", args=["-m", "hot_restart", "prog.py"])
    before = s.prompt()
    assert "captured: into the buffer" in before
    assert "ratio raised ZeroDivisionError" in before
    s.fix()
    s.send("c")
    s.expect(r"result: 10\.0")
    s.finish(0)


def test_the_trampoline_publishes_to_the_real_handler() -> None:
    assert trampoline.handle in state.STATE.handlers
    assert trampoline.handle.catching == state.STATE.catching  # type: ignore[attr-defined]


def test_a_frame_waiting_for_its_re_run_is_not_restarted_with_rebound_values(session):
    """``c`` without a fix: the re-run crashes again; the first call, which
    waits for it, handed its record on; ``restart`` there says so."""
    s = session("rerun_rebinds", args=["-m", "hot_restart", "prog.py"])
    assert "scale raised ZeroDivisionError" in s.prompt()
    s.send("c")
    assert "scale raised ZeroDivisionError" in s.prompt()
    s.send("up")
    assert "scale" in s.prompt()
    s.send("restart")
    refused = s.prompt()
    assert "the arguments scale was called with were not kept (it is waiting for its re-run" in (
        refused
    )
    s.send("up")  # the prompt came back at the crash: up to the waiting call,
    s.prompt()
    s.send("up")  # and up to its caller
    assert "main()" in s.prompt()
    s.fix()
    s.send("restart")
    s.expect(r"result: -10")
    s.finish(0)


def test_publishing_what_is_caught_loads_no_lazy_module(tmp_path, monkeypatch):
    """The copy into each module's namespace reads past a module's own
    attribute access: importlib's lazy modules load on that."""
    import importlib.util

    (tmp_path / "lazy_probe.py").write_text("LOADED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = importlib.util.find_spec("lazy_probe")
    assert spec is not None and spec.loader is not None
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "lazy_probe", module)
    spec.loader.exec_module(module)
    state._publish(state.STATE.handlers, BaseException)
    assert type(module).__name__ == "_LazyModule"  # still not loaded
