"""The IDE is the prompt: a crash stops in VS Code (or any debugpy client).

**When.**  A process runs under debugpy when the IDE launched it or
attached to it; its vendored ``pydevd`` is then imported and holds the
debugger object.  A client is attached from its ``configurationDone`` until
it disconnects (``is_attached()``): only then can a crash stop in the IDE,
and that holds whether or not stdin is a terminal (VS Code's
``"console": "internalConsole"`` gives the program none).  So ``attached``
is one of ``STATE.prompt_places`` (registered in ``state``, which imports
this module only once ``pydevd`` is loaded), and it is what makes
``debuggers.choose`` pick the pydevd adapter: never pydevd without a client
(a Jupyter kernel imports debugpy with nobody attached).  The answer is
cached with the terminal check, so a listener on the debugger's DAP messages
forgets it when a client configures, changes its exception breakpoints or
disconnects.

**The stop.**  pydevd stops as it does when an exception leaves the user's
code (user-unhandled), paused at the crash: the IDE shows the exception, the
line that raised, and every frame live above it (the callers are running,
not unwound).  It stops only if the client asked to break on this exception
(VS Code's "Uncaught Exceptions", ticked by default, "User Uncaught
Exceptions" or "Raised Exceptions"): otherwise, or if pydevd returns without
having suspended the thread, the exception propagates with one line.  Taking
"returned" as "continue" would reload and re-run the crash for ever.

**The debug console** evaluates in the paused frame, so the commands are
functions of the package: ``hot_restart.reload()`` (reload what was edited
now and say what), ``hot_restart.restart("outer")`` (on Continue, re-run
that caller instead of the crashed function), ``hot_restart.reraise()`` (on
Continue, let the exception propagate).  Continue alone reloads and re-runs
the crashed function, as ``c`` does at a terminal.
"""

from __future__ import annotations

import sys
import threading
from types import FrameType
from typing import Any

from .messages import say
from .state import STATE

#: The debugger objects that already have our DAP listener (by id: holding
#: one would keep a finished session alive; pydevd's debugger lives as long
#: as the process anyway).
_listening: set[int] = set()

_CO_ANY_GENERATOR = 0x20 | 0x200
_CO_NEWLOCALS = 0x02  # a function's frame (not a module's or a class body's)


def debugger() -> Any | None:
    """pydevd's debugger object when debugpy runs this process, else None."""
    pydevd = sys.modules.get("pydevd")
    if pydevd is None:
        return None
    try:
        return pydevd.get_global_debugger()
    except Exception:
        return None


def attached() -> bool:
    """A debug client is attached: a crash can stop in the IDE (a prompt place)."""
    py_db = debugger()
    if py_db is None:
        return False
    _listen(py_db)
    try:
        return bool(py_db.is_attached())
    except Exception:  # an older or foreign pydevd: no way to tell
        return False


class _Listener:
    """Forgets the cached "can a prompt happen" when the client's setup changes."""

    _COMMANDS = frozenset({"configurationDone", "setExceptionBreakpoints", "disconnect"})

    def after_receive(self, message: dict[str, Any]) -> None:
        if message.get("command") in self._COMMANDS:
            STATE.forget_terminal()

    def before_send(self, message: dict[str, Any]) -> None:
        if message.get("event") == "terminated":
            STATE.forget_terminal()


def _listen(py_db: Any) -> None:
    if id(py_db) in _listening:
        return
    _listening.add(id(py_db))
    add = getattr(py_db, "add_dap_messages_listener", None)
    if add is not None:
        try:
            add(_Listener())
        except Exception:
            pass


def breaks_on(py_db: Any, kind: type[BaseException]) -> bool:
    """The client asked to break on ``kind`` in some mode (its exception breakpoints)."""
    find = getattr(py_db, "get_exception_breakpoint", None)
    if find is None:
        return bool(getattr(py_db, "break_on_uncaught_exceptions", None))
    for table in ("break_on_uncaught_exceptions", "break_on_user_uncaught_exceptions"):
        breakpoints = getattr(py_db, table, None)
        if breakpoints and find(kind, breakpoints) is not None:
            return True
    breakpoints = getattr(py_db, "break_on_caught_exceptions", None)
    return bool(breakpoints) and find(kind, breakpoints) is not None


class _Paused:
    """The crash the IDE is stopped at, and what the debug console asked for."""

    def __init__(self, exc: BaseException, frame: FrameType) -> None:
        self.exc = exc
        self.frame = frame
        self.thread = threading.get_ident()
        self.target: FrameType | None = None  # hot_restart.restart("name")


_paused: _Paused | None = None

#: Stands for "pydevd did not stop" in the thread's ``stop_reason``, which
#: pydevd sets when (and only when) it suspends the thread.
_NOT_STOPPED = object()


def stop(exc: BaseException, frame: FrameType) -> tuple[str, FrameType | None]:
    """Stop in the IDE at ``exc``: ("continue" | "restart" | "quit", restart target)."""
    global _paused
    py_db = debugger()
    if py_db is None:
        say(
            "the debugger asked for is debugpy, but this process does not run under it "
            "(start it from the IDE, or with `python -m debugpy`); letting the exception propagate"
        )
        return "quit", None
    if not attached():
        say(
            "no debug client is attached to debugpy, so the crash cannot stop; letting it propagate"
        )
        return "quit", None
    if not breaks_on(py_db, type(exc)):
        say(
            f"the IDE does not break on {type(exc).__name__} (VS Code: tick 'Uncaught "
            "Exceptions' under Breakpoints); letting it propagate"
        )
        return "quit", None
    thread = threading.current_thread()
    excinfo = (type(exc), exc, exc.__traceback__)
    previous = getattr(thread, "stop_reason", None)
    thread.stop_reason = _NOT_STOPPED  # type: ignore[attr-defined]
    outer, _paused = _paused, _Paused(exc, frame)
    paused = _paused
    try:
        _stop(py_db, thread, excinfo)
    finally:
        _paused = outer
        stopped = getattr(thread, "stop_reason", None) is not _NOT_STOPPED
        if not stopped:
            thread.stop_reason = previous  # type: ignore[attr-defined]
    if not stopped:
        say("the IDE did not stop at the crash; letting the exception propagate")
        return "quit", None
    if paused.target is not None and paused.target is not frame:
        return "restart", paused.target
    return "continue", None


def _stop(py_db: Any, thread: threading.Thread, excinfo: tuple[Any, Any, Any]) -> None:
    """pydevd's stop on a user-unhandled exception, at the crash.

    What pydevd does when an exception leaves the user's code (its
    ``handle_exception``), with the crash as the current frame.  Its public
    ``trigger_exception_handler`` stops as at an uncaught exception instead:
    the current frame is then the outermost one, which VS Code labels
    "(Current frame)", and it exists only in debugpy 1.8.17 and later; it is
    the fallback when this debugger lacks a method used here.
    """
    frame = _crash_frame(py_db, excinfo[2])
    pydevd = sys.modules.get("pydevd")
    needed = ("send_caught_exception_stack", "set_suspend", "do_wait_suspend")
    if frame is None or not all(hasattr(py_db, name) for name in needed):
        trigger = getattr(py_db, "trigger_exception_handler", None)
        if trigger is not None:
            trigger(excinfo, as_uncaught=False)
        return
    monitoring = None
    if getattr(pydevd, "PYDEVD_USE_SYS_MONITORING", False):
        monitoring = getattr(pydevd, "pydevd_sys_monitoring", None)
    # Python 3.12+: sys.monitoring must not trace this thread while it is
    # stopped (the debug console's code runs in it), as pydevd does itself.
    suspended = bool(monitoring and monitoring.suspend_current_thread_tracing())
    info = py_db.set_additional_thread_info(thread)
    info.is_tracing += 1  # the stop's own code is not the program's: do not trace it
    try:
        py_db.send_caught_exception_stack(thread, excinfo, id(frame))
        try:
            py_db.set_suspend(thread, _CMD_ADD_EXCEPTION_BREAK)
            py_db.do_wait_suspend(thread, frame, "exception", excinfo, _USER_UNHANDLED)
        finally:
            proceeded = getattr(py_db, "send_caught_exception_stack_proceeded", None)
            if proceeded is not None:
                proceeded(thread)
    finally:
        info.is_tracing -= 1
        if suspended and monitoring is not None:
            monitoring.resume_current_thread_tracing()


#: pydevd's stop reason for an exception breakpoint (the IDE reports the
#: break mode "unhandled"), and its name for a user-unhandled exception.
_CMD_ADD_EXCEPTION_BREAK = 122
_USER_UNHANDLED = "USER_UNHANDLED"


def _crash_frame(py_db: Any, tb: Any) -> FrameType | None:
    """The deepest frame of the traceback that the IDE shows (``justMyCode``)."""
    shown = None
    excluded = getattr(py_db, "apply_files_filter", None)
    while tb is not None:
        frame = tb.tb_frame
        try:
            hidden = excluded is not None and excluded(frame, frame.f_code.co_filename, False)
        except Exception:
            hidden = False
        if not hidden or shown is None:
            shown = frame
        tb = tb.tb_next
    return shown


def help_line(what: str) -> str:
    """The banner's help in the IDE: its Continue button, and the debug console's commands."""
    return (
        f"> Continue (F5): reload {what} from disk and run it again | Debug Console: "
        "`import hot_restart`, then hot_restart.restart('caller') re-runs that caller, "
        "hot_restart.reraise() lets the exception propagate, hot_restart.reload() reloads now"
    )


# The debug console's commands (``hot_restart.reload()``, ``hot_restart.restart()``).


def reload() -> None:
    """Reload every definition edited since it was loaded, now, and say which.

    In the IDE's debug console (or at a pdb prompt, ``!hot_restart.reload()``)
    this checks an edit before Continue: one that cannot be taken is refused
    with one line, and the previous version stays.
    """
    from ..errors import ReloadException
    from .rebind import frame_function
    from .reload import reload_changed

    paused = _paused
    fn = None
    if paused is not None and paused.thread == threading.get_ident():
        # The crashed function's module may not be the one sys.modules names
        # (a script run as __main__ by a runner): it leads to its file.
        fn = frame_function(paused.frame)
    try:
        if fn is None:
            report = reload_changed()
        else:
            qualname = getattr(fn.__code__, "co_qualname", None) or fn.__qualname__
            report = reload_changed(fn, qualname)
    except ReloadException as e:
        say(str(e))
        return
    names = report.names(None)
    say(f"reloaded {', '.join(names)}" if names else "nothing was edited since it was loaded")


def restart(function: str | None = None) -> None:
    """On Continue, re-run ``function`` (a caller of the crash, by name) instead.

    For the IDE's debug console while it is stopped at a crash: the frames
    below that caller unwind, then it is reloaded and re-run with the
    arguments it was called with.  Without a name, the crashed function
    (what Continue does anyway).  At a pdb prompt: ``up``, then ``restart``.
    """
    paused = _paused
    if paused is None or paused.thread != threading.get_ident():
        say(
            "hot_restart.restart() is for the IDE's debug console while it is stopped at a "
            "crash; at a pdb prompt, `up` then `restart`"
        )
        return
    from ..transform import is_instrumented

    if function is None:
        paused.target = None
        say(f"Continue re-runs {paused.frame.f_code.co_name}")
        return
    candidates = []
    frame: FrameType | None = paused.frame
    while frame is not None:
        flags = frame.f_code.co_flags
        if (
            is_instrumented(frame.f_code)
            and flags & _CO_NEWLOCALS
            and not flags & _CO_ANY_GENERATOR
        ):
            candidates.append(frame)
            code = frame.f_code
            if function in (code.co_name, getattr(code, "co_qualname", code.co_name)):
                paused.target = frame
                say(f"Continue re-runs {function}")
                return
        frame = frame.f_back
    names = ", ".join(repr(f.f_code.co_name) for f in candidates) or "none"
    say(f"no restartable frame runs {function!r}; the ones that can: {names}")
