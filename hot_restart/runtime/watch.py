"""Watch-to-continue: saving the crashed function's file continues by itself.

Opt-in: ``HOT_RESTART_WATCH=1`` in the environment, ``install(...,
watch=True)`` (which overrides the environment either way) or ``pytest
--hot-restart-watch`` set ``STATE.watch``.  While the debugger waits at a
crash, a save of the crashed function's file does what ``c`` does: reload
and re-run.

**Noticing the save.**  A daemon thread polls ``os.stat`` of the watched
file (one file; a handful for a crash in a pytest test function) every
0.2 s, and only while a prompt is open.  That is five system calls a second,
needs nothing outside the standard library (watchdog would be a dependency;
inotify and kqueue would need ctypes and a version per platform), and works
on every file system and with every way editors save (in place, or a new
file renamed over the old one: the inode is part of what is compared; a
copy that keeps the old modification time still changes the change time).  A
change counts once the file has held still for one interval, so a file that
an editor truncates and then writes is not read half written.

**Leaving the prompt.**  pdb blocks in ``input()``, inside readline's C
loop: another thread cannot end that call (only a signal can, and only in
the main thread), and ``cmdqueue`` is read only between commands.  So while
watching, pdb reads its commands from a stand-in for stdin (set as the
debugger's ``stdin``, with ``use_rawinput`` off, which pdb supports) whose
``readline`` waits with ``select`` on both the terminal and a pipe that the
watcher writes to, and returns ``continue`` when woken.  It works in any
thread.  The price: no readline while watching (no history, no tab
completion); the terminal's own line editing (backspace, Ctrl-U, Ctrl-W)
works, and so do Ctrl-C and Ctrl-D.  POSIX only: ``select`` cannot wait on
a Windows console.

ipdb reads through prompt_toolkit, which runs its own event loop in a helper
thread; the watcher asks that loop to end the prompt with the line
``continue`` (``Application.exit``), so ipdb keeps its history and
completion.  pudb (urwid) and pydevd (the IDE) are not woken: continue by
hand there.
"""

from __future__ import annotations

import os
import sys

from .messages import say
from .registry import Stamp, stat_fields

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

INTERVAL = 0.2  # seconds between two looks at the watched files
CONTINUE = "continue"

_said_unsupported: set[str] = set()


def unsupported(debugger: str) -> None:
    """Say once per debugger that a save will not continue by itself."""
    if debugger not in _said_unsupported:
        _said_unsupported.add(debugger)
        say(f"watch-to-continue works with pdb and ipdb, not {debugger}: continue by hand")


class Poller:
    """A daemon thread that calls ``on_change`` once the files were saved.

    ``on_change`` is called again at every interval after that, until
    ``stop``: a wake that found no prompt open (between two commands) is
    delivered to the next one.
    """

    def __init__(
        self, files: Iterable[str], on_change: Callable[[], None], interval: float = INTERVAL
    ) -> None:
        import threading

        self.files = list(dict.fromkeys(files))
        self._on_change = on_change
        self._interval = interval
        self._baseline = self._look()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hot_restart-watch", daemon=True)

    def start(self) -> Poller:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _look(self) -> tuple[Stamp | None, ...]:
        looks: list[Stamp | None] = []
        for name in self.files:
            try:
                st = os.stat(name)
            except OSError:
                looks.append(None)  # mid-save by rename, or deleted: wait for it
            else:
                looks.append(stat_fields(st))
        return tuple(looks)

    def _run(self) -> None:
        previous = self._baseline
        fired = False
        while not self._stopped.wait(self._interval):
            if not fired:
                now = self._look()
                changed = [i for i, look in enumerate(now) if look != self._baseline[i]]
                settled = now == previous and all(now[i] is not None for i in changed)
                previous = now
                fired = bool(changed) and settled
                if not fired:
                    continue
            try:
                self._on_change()
            except Exception:  # a wake that failed must not print a thread traceback
                pass


class WakeableInput:
    """What pdb reads its commands from while watching: the terminal, or a wake.

    ``readline`` returns the next line typed at the terminal, or
    ``continue`` once ``wake`` was called (from any thread), and from then on.
    """

    def __init__(self, stream: Any, announce: Callable[[], None]) -> None:
        self._stream = stream
        self._fd: int = stream.fileno()
        self._encoding: str = getattr(stream, "encoding", None) or "utf-8"
        self._announce = announce
        self._wake_r, self._wake_w = os.pipe()
        self._pending = b""
        self.woken = False

    def wake(self) -> None:
        try:
            os.write(self._wake_w, b"!")
        except OSError:  # closed: the prompt is over
            pass

    def readline(self) -> str:
        import select

        while b"\n" not in self._pending:
            if self.woken:  # the prompt is over for good
                return CONTINUE + "\n"
            ready, _, _ = select.select([self._fd, self._wake_r], [], [])
            if self._wake_r in ready:
                os.read(self._wake_r, 4096)
                self.woken = True
                self._pending = b""  # a half-typed command is dropped
                self._announce()
                continue
            chunk = os.read(self._fd, 4096)
            if not chunk:  # Ctrl-D at the start of a line: pdb's EOF
                line, self._pending = self._pending, b""
                return line.decode(self._encoding, "replace")
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return line.decode(self._encoding, "replace") + "\n"

    def close(self) -> None:
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _announcer(files: list[str], end_the_line: bool) -> Callable[[], None]:
    names = ", ".join(os.path.basename(f) for f in files)

    def announce() -> None:
        if end_the_line:  # pdb's prompt is still waiting on its line
            print(file=sys.stdout, flush=True)
        say(f"{names} saved: continuing")

    return announce


class _Watch:
    """Context manager: one debugger prompt, armed to leave on a save."""

    def __init__(self, debugger: Any, files: list[str]) -> None:
        self._debugger = debugger
        self._files = files
        self._undo: list[Callable[[], None]] = []
        self._poller: Poller | None = None

    def __enter__(self) -> None:
        wake = self._arm()
        if wake is not None:
            self._poller = Poller(self._files, wake).start()

    def __exit__(self, *exc_info: object) -> None:
        if self._poller is not None:
            self._poller.stop()
        for undo in reversed(self._undo):
            undo()

    def _arm(self) -> Callable[[], None] | None:
        debugger = self._debugger
        if hasattr(debugger, "pt_init"):  # IPython's TerminalPdb: ipdb
            if hasattr(debugger, "pt_app") and hasattr(debugger, "_prompt"):
                return self._arm_prompt_toolkit(debugger, _announcer(self._files, False))
            unsupported("ipdb without prompt_toolkit (IPY_TEST_SIMPLE_PROMPT, old IPython)")
            return None
        if hasattr(debugger, "use_rawinput") and os.name == "posix":
            try:
                stdin = WakeableInput(debugger.stdin, _announcer(self._files, True))
            except (AttributeError, OSError, ValueError):
                return None  # no file descriptor to wait on
            saved = debugger.stdin, debugger.use_rawinput
            debugger.stdin, debugger.use_rawinput = stdin, False

            def undo() -> None:
                debugger.stdin, debugger.use_rawinput = saved
                stdin.close()

            self._undo.append(undo)
            return stdin.wake
        unsupported("pdb on Windows" if os.name != "posix" else type(debugger).__name__)
        return None

    def _arm_prompt_toolkit(
        self, debugger: Any, announce: Callable[[], None]
    ) -> Callable[[], None]:
        """ipdb: end the running prompt_toolkit prompt with ``continue``."""
        import threading

        from prompt_toolkit.application import create_app_session

        lock = threading.Lock()
        sessions: list[Any] = []  # the AppSession of the prompt now open, if any
        fired = threading.Event()

        def prompt() -> str:
            # IPython's own _prompt, plus a handle on the session for wake().
            with create_app_session() as session:
                with lock:
                    if fired.is_set():
                        announce()
                        return CONTINUE
                    sessions.append(session)
                try:
                    line: str = debugger.pt_app.prompt()
                finally:
                    with lock:
                        sessions.remove(session)
                if line == CONTINUE and fired.is_set():
                    announce()
                return line

        def wake() -> None:
            fired.set()
            with lock:
                app = sessions[0].app if sessions else None
                loop = getattr(app, "loop", None)
                if app is not None and loop is not None and app.is_running:
                    loop.call_soon_threadsafe(_exit_with_continue, app)

        debugger._prompt = prompt
        self._undo.append(lambda: debugger.__dict__.pop("_prompt", None))
        return wake


def _exit_with_continue(app: Any) -> None:
    future = getattr(app, "future", None)
    if app.is_running and future is not None and not future.done():
        app.exit(result=CONTINUE)


def watching(debugger: Any, files: Iterable[str]) -> Any:
    """While the returned context is open, a save of ``files`` continues ``debugger``."""
    import contextlib

    names = [f for f in files if f and os.path.exists(f)]
    if not names:
        return contextlib.nullcontext()
    return _Watch(debugger, names)
