"""Debugger adapters: open one at the crash site and report what the user chose.

Every adapter answers the same question, "continue here, restart that
frame, or let the exception go?", so the session logic is one piece of code
for pdb, ipdb, pudb and pydevd alike.  Nothing is imported until a crash.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType, ModuleType, TracebackType
from typing import Any

from ..transform import is_instrumented
from .messages import say
from .state import STATE

KNOWN = ("pdb", "ipdb", "pudb", "pydevd")
_ALIASES = {"debugpy": "pydevd"}


@dataclass
class Outcome:
    action: str  # "continue", "restart" or "quit"
    frame: FrameType | None = None
    # Whether the debugger read a command from the user (None: it cannot
    # tell): one that did not (a .pdbrc that says `c`) never stopped.
    stopped: bool | None = None


def choose(announce: bool = True) -> str:
    """The debugger to use: hot_restart.DEBUGGER, then the environment, then auto.

    Reading ``hot_restart.DEBUGGER`` asks this too (``announce=False``: a
    bad setting is reported when a crash opens the debugger, not on a read).
    A remote session (``runtime/remote``) carries lines of text: pudb's
    screen and pydevd's IDE cannot run over it, so pdb stands in for them.
    """
    name = _choose(announce)
    if name in ("pudb", "pydevd"):
        remote = sys.modules.get("hot_restart.runtime.remote")
        if remote is not None and remote.active():
            if announce:
                say(f"{name} cannot run over a remote session; using pdb")
            return "pdb"
    return name


def _choose(announce: bool) -> str:
    module = sys.modules.get("hot_restart")
    explicit = vars(module).get("_debugger_setting") if module is not None else None
    source = "hot_restart.DEBUGGER"
    if not explicit or not isinstance(explicit, str):
        explicit = os.environ.get("HOT_RESTART_DEBUGGER", "").strip()
        source = "HOT_RESTART_DEBUGGER"
    if explicit:
        name = _ALIASES.get(explicit.lower(), explicit.lower())
        if name not in KNOWN:
            if announce:
                say(
                    f"unknown debugger {explicit!r} in {source}; "
                    f"use one of {', '.join(KNOWN)} (using pdb)"
                )
            return "pdb"
        if name != "pdb" and not _importable(name):
            if announce:
                package = "debugpy" if name == "pydevd" else name  # debugpy bundles pydevd
                say(
                    f"{source} asks for {name}, which is not installed; "
                    f"`pip install {package}` (using pdb)"
                )
            return "pdb"
        return name
    if "pydevd" in sys.modules and _ide_attached():
        return "pydevd"  # never without a client: nothing would stop (a kernel imports debugpy)
    if "pudb" in sys.modules:
        return "pudb"
    return "ipdb" if _importable("ipdb") else "pdb"


def _ide_attached() -> bool:
    from .ide import attached

    return attached()


def _importable(name: str) -> bool:
    if sys.modules.get(name) is not None:  # None there: its import is blocked
        return True
    if name == "pydevd":
        # debugpy bundles its own pydevd, put on the path when debugpy runs
        # the program: having debugpy is having pydevd.
        return _importable("debugpy")
    from importlib.util import find_spec

    try:
        return find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def run(
    name: str, exc: BaseException, frame: FrameType, watch_files: Sequence[str] = ()
) -> Outcome:
    """Open ``name`` post-mortem on ``exc``, with ``frame``'s callers live above it.

    With watch-to-continue on, a save of ``watch_files`` (default: the file
    of ``frame``'s function) continues as ``c`` would.
    """
    tb = exc.__traceback__
    if name in ("pdb", "ipdb"):
        return _run_cmd_debugger(name, frame, tb, watch_files or [frame.f_code.co_filename])
    if STATE.watch:
        from .watch import unsupported

        unsupported(name)
    if name == "pydevd":
        return _run_pydevd(exc, frame)
    import pudb  # type: ignore[import-not-found,import-untyped,unused-ignore]

    pudb.post_mortem(tb, type(exc), exc)
    if _pudb_quit():
        return Outcome("quit")
    return Outcome("quit" if STATE.reraise_requested else "continue")


def _pudb_quit() -> bool:
    """pudb's ``q`` ends its screen as ``c`` does, but leaves its bdb quitting."""
    debugger_module = sys.modules.get("pudb.debugger")
    current: Any = getattr(getattr(debugger_module, "Debugger", None), "_current_debugger", None)
    return bool(current) and getattr(current[0], "quitting", False) is True


_classes: dict[str, type] = {}


def _run_cmd_debugger(
    name: str, frame: FrameType, tb: TracebackType | None, watch_files: Sequence[str]
) -> Outcome:
    # IPython's shell puts its own empty module in sys.modules["__main__"]
    # when it starts (on the first ipdb prompt): pickle, multiprocessing's
    # spawn and anything else that finds the script through it would break
    # after the prompt, so the program's own is put back.
    main = sys.modules.get("__main__")
    try:
        cls = _classes.get(name)
        if cls is None:
            # IPython's app installs its crash handler as sys.excepthook and never
            # puts the old one back: a declined crash must end as it would have.
            hook = sys.excepthook
            try:
                cls = _classes[name] = _with_restart_commands(_base_class(name))
            except ImportError as e:  # installed but broken: a prompt is still owed
                say(f"{name} could not be imported ({e}); using pdb")
                name = "pdb"
                cls = _classes.get(name) or _with_restart_commands(_base_class(name))
                _classes[name] = cls
            finally:
                sys.excepthook = hook
        debugger = cls(nosigint=True) if name == "pdb" else cls()
        _restore_main(main)
        debugger.reset()
        if STATE.uses_classic_api(frame.f_code.co_filename):
            debugger.cmdqueue.append("l")  # 0.2.x listed the source around the crash
        if STATE.watch:
            from .watch import watching

            # A kernel's input box (activated by install(), see kernel.py).
            # An interrupt there needs nothing of ours: ipykernel makes pdb
            # IPython's InterruptiblePdb, which ends its loop on one.
            kernel = sys.modules.get(f"{__package__}.kernel")
            if kernel is not None and kernel.current() is not None:
                watching = kernel.watching
            with watching(debugger, watch_files):
                debugger.interaction(frame.f_back, tb)
        else:
            debugger.interaction(frame.f_back, tb)
    except KeyboardInterrupt:
        return Outcome("quit")
    except Exception as e:  # no way to read a command (a kernel run without stdin)
        say(
            f"the debugger could not read a command ({e.__class__.__name__}: {e}); "
            "letting the exception propagate"
        )
        return Outcome("quit")
    finally:
        _restore_main(main)
    outcome: Outcome = debugger.hr_outcome
    if STATE.reraise_requested:
        return Outcome("quit")
    outcome.stopped = debugger.hr_read_input
    return outcome


def _restore_main(main: ModuleType | None) -> None:
    if main is not None and sys.modules.get("__main__") is not main:
        sys.modules["__main__"] = main


def _base_class(name: str) -> type:
    if name == "ipdb":
        try:
            from ipdb.__main__ import _get_debugger_cls  # type: ignore[import-untyped,unused-ignore]

            base: type = _get_debugger_cls()
            return base
        except ImportError as ipdb_error:
            try:
                from IPython.terminal.debugger import TerminalPdb  # type: ignore[import-not-found,unused-ignore]
            except ImportError:
                raise ipdb_error from None  # the one the user asked for
            ipython_base: type = TerminalPdb
            return ipython_base
    import pdb

    return pdb.Pdb


def _with_restart_commands(base: type) -> type:
    """A subclass of ``base`` that records the user's choice on leaving."""

    class HotRestartDebugger(base):  # type: ignore[misc]
        curframe: Any  # pdb's (untyped here: the base class is chosen at run time)

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.hr_outcome = Outcome("continue")
            self.hr_read_input = False
            self._hr_queued = 0

        # Did a command come from the user, or only from cmdqueue (.pdbrc,
        # our `l`)?  cmd's loop pops the queue before precmd: a line read
        # from the user leaves the queue as long as it was.
        def preloop(self) -> None:
            super().preloop()
            self._hr_queued = len(self.cmdqueue)

        def precmd(self, line: str) -> Any:
            if len(self.cmdqueue) == self._hr_queued:
                self.hr_read_input = True
            return super().precmd(line)

        def postcmd(self, stop: Any, line: str) -> Any:
            self._hr_queued = len(self.cmdqueue)
            return super().postcmd(stop, line)

        def _validate_file_mtime(self) -> None:
            # pdb 3.13+ warns before every command that an edited file runs
            # "stale code until the program is rerun"; here `c` reloads it.
            return None

        def do_continue(self, arg: str) -> Any:
            """c(ont(inue))
            Reload the crashed function from disk and run it again."""
            self.hr_outcome = Outcome("continue")
            return super().do_continue(arg)

        do_c = do_cont = do_continue

        def do_restart(self, arg: str) -> Any:
            """restart
            Reload the function of the current frame (see `up`) from disk and
            run it again; the frames below it unwind first."""
            frame = self.curframe
            if frame is None or not is_instrumented(frame.f_code):
                name = frame.f_code.co_name if frame is not None else "?"
                self.error(
                    f"cannot restart {name}: hot_restart does not instrument it; `up` to one it does"
                )
                return 0
            if frame.f_code.co_flags & 0x220:  # CO_GENERATOR | CO_ASYNC_GENERATOR
                self.error(f"cannot restart generator {frame.f_code.co_name}: `up` to its consumer")
                return 0
            self.hr_outcome = Outcome("restart", frame)
            self.set_continue()
            return 1

        do_run = do_restart

        def do_quit(self, arg: str) -> Any:
            """q(uit)
            Let the exception propagate as if hot_restart were not there."""
            self.hr_outcome = Outcome("quit")
            return super().do_quit(arg)

        do_q = do_exit = do_quit

        def do_EOF(self, arg: str) -> Any:
            self.hr_outcome = Outcome("quit")
            return super().do_EOF(arg)

        # `l` and `ll` mark the frame's current line with `->`.  The crashed
        # instrumented frame is alive in its handler, whose line is the def
        # line; plain Python's dead frame is at the line that raised, and so
        # is the listing: pdb reads f_lineno in _print_lines, IPython in
        # print_list_lines.
        def _print_lines(
            self, lines: list[str], start: int, breaks: Any = (), frame: Any = None
        ) -> Any:
            return super()._print_lines(lines, start, breaks, _at_raise(self, frame))

        def print_list_lines(self, filename: str, first: int, last: int) -> Any:
            frame = self.curframe
            self.curframe = _at_raise(self, frame)
            try:
                return super().print_list_lines(filename, first, last)
            finally:
                self.curframe = frame

        def do_list(self, arg: str) -> Any:
            # `l` without an argument centres on the current line: that one.
            frame = self.curframe
            self.curframe = _at_raise(self, frame)
            try:
                return super().do_list(arg)
            finally:
                self.curframe = frame

        do_l = do_list

    return HotRestartDebugger


class _FrameAtLine:
    """A frame that reports another current line; the rest is the frame's."""

    def __init__(self, frame: FrameType, line: int) -> None:
        self._frame = frame
        self.f_lineno = line

    def __getattr__(self, name: str) -> Any:
        return getattr(self._frame, name)


def _at_raise(debugger: Any, frame: Any) -> Any:
    """``frame``, or a view of it at the line that raised when it runs our handler."""
    if not isinstance(frame, FrameType) or not is_instrumented(frame.f_code):
        return frame
    line = getattr(debugger, "tb_lineno", {}).get(frame)
    if line is None or line == frame.f_lineno:
        return frame
    return _FrameAtLine(frame, line)


def _run_pydevd(exc: BaseException, frame: FrameType) -> Outcome:
    """Stop in the IDE (see ``ide``): "quit" whenever it would not stop there."""
    from .ide import stop

    action, target = stop(exc, frame)
    if STATE.reraise_requested:
        return Outcome("quit")
    return Outcome(action, target)
