"""The function instrumented code calls when an exception leaves its body.

This is the only runtime code on a hot path (every exception that passes
through an instrumented frame), so it does the cheap checks inline and hands
over to ``session`` only when it is really going to stop.  It returns itself
as the sentinel meaning "re-raise as if nothing happened", which lets the
generated code use a bare ``raise`` and keep the traceback untouched.
"""

from __future__ import annotations

import sys
from _thread import _local
from types import FrameType, ModuleType

from .state import STATE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal, NoReturn

_ALWAYS_PROPAGATE = (SystemExit, GeneratorExit, StopIteration, StopAsyncIteration)
DECLINED = "__hot_restart_declined__"


class RestartRequest(BaseException):
    """Unwinds the frames below ``target`` (running their finally blocks),
    so that the target's own trampoline can re-run it."""

    def __init__(self, target: FrameType, call: Any) -> None:
        super().__init__(f"hot_restart: restarting {target.f_code.co_name}")
        self.target = target
        self.call = call  # what the target's trampoline returns in its place

    def unwind(self) -> NoReturn:
        """Raised from the crashed frame's re-run statement, outside its handler:
        the generated code re-raises the program's exception whatever asking
        the runtime raises (see transform._handler)."""
        raise self


_session: ModuleType | None = None
_catchers: ModuleType | None = None

# Exceptions as control flow: (id(code), id(caller's code), caller's
# instruction offset, exception type) for callers found to catch such an
# exception in instrumented code, where that decision cannot vary.  Then the
# whole decision is one dict lookup.  Keyed by id: hashing a code object
# rehashes its bytecode; instrumented code objects stay alive while the
# functions running them do.  Emptied whenever settings change.
_fast = STATE.fast_propagate
_exception = getattr(sys, "exception", None) or (lambda: sys.exc_info()[1])
_getframe = sys._getframe
_gettrace = sys.gettrace
_finalizing = sys.is_finalizing


def handle(qualname: str | Literal[False] | None = "", /) -> Any:
    """Called in the ``except:`` clause of an instrumented function.

    True means "re-raise"; False means the function was reloaded, and
    ``handle(None)`` then hands over the call that re-runs it (the generated
    code makes it after its ``except`` block); ``handle(False)`` is asked
    when that re-run raised (see ``rerun_failed``).  On 3.11+ the
    qualified name comes from the code object; 3.10 code passes it.
    """
    if qualname is None:
        return take()
    frame = _getframe(1)
    if qualname is False:
        return rerun_failed(frame)
    caller = frame.f_back
    if (
        caller is not None
        and (id(frame.f_code), id(caller.f_code), caller.f_lasti, type(_exception())) in _fast
    ) or _decide(_exception(), frame, caller, qualname):
        if _gettrace() is not None:
            # The generated ``raise`` has the def line (a frame must have
            # one); a tracer must not see it as a line the program ran.
            # The frame is finished once it re-raises.
            frame.f_trace_lines = False
        return True
    return False


def rerun_failed(frame: FrameType) -> bool:
    """A crashed frame's re-run raised: True to re-raise, False to re-run again.

    Again when the debugger's ``restart`` targets this frame.  Otherwise its
    own entry leaves the traceback: plain Python would show the caller, then
    the function (its last version); the crashed copy, which only passed the
    re-run's result on, is no part of that.  The generated bare ``raise``
    then adds no entry of its own.
    """
    exc = _exception()
    if exc is None:
        return True
    if type(exc) is RestartRequest and exc.target is frame:
        _results.value = exc.call
        return False
    tb = exc.__traceback__
    if tb is None or tb.tb_frame is not frame or tb.tb_next is None:
        return True
    exc.__traceback__ = tb.tb_next
    if sys.version_info < (3, 11):
        # 3.10's bare ``raise`` takes the traceback from the thread's
        # exception state, not from the exception.
        _set_exc_info(exc)
    return True


def _set_exc_info(exc: BaseException) -> None:
    try:
        import ctypes
    except ImportError:  # a build without ctypes keeps the extra entry
        return
    api = ctypes.pythonapi
    objects = (type(exc), exc, exc.__traceback__)
    for obj in objects:  # PyErr_SetExcInfo steals a reference to each
        api.Py_IncRef(ctypes.py_object(obj))
    api.PyErr_SetExcInfo(*(ctypes.py_object(obj) for obj in objects))


def _decide(
    exc: BaseException | None, frame: FrameType, caller: FrameType | None, qualname: str
) -> bool:
    if not qualname:
        qualname = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
    if exc is None or isinstance(exc, _ALWAYS_PROPAGATE) or STATE.exiting:
        return True
    if type(exc) is RestartRequest:
        if exc.target is not frame:
            return True
        _results.value = exc.call
        return False
    if not STATE.interactive() or _finalizing():
        # At interpreter exit (a ``__del__`` raising while modules are torn
        # down) importing the rest of the runtime would fail and replace the
        # program's own error; there is no prompt to give anyway.
        return True
    code = frame.f_code
    options = STATE.options_for(code, qualname)
    policy = STATE.forced_stop_on or options.stop_on or STATE.stop_on
    if (
        policy == "unhandled"
        and caller is not None
        and _handled_by_instrumented(frame, caller, exc)
    ):
        return True
    if exc.__dict__.get(DECLINED):
        return True
    if options.propagated and isinstance(exc, options.propagated):
        return True
    if isinstance(exc, KeyboardInterrupt) and options.propagate_keyboard_interrupt:
        return True
    global _session
    if _session is None:
        from . import session as _session_module

        _session = _session_module
    try:
        rerun = _session.stop(exc, frame, qualname)
    except RestartRequest as request:  # for an outer frame: unwound from the re-run statement
        rerun = request.unwind
    if rerun is None:
        return True
    _results.value = rerun
    return False


class _Results(_local):
    value: Any = None


_results = _Results()


def take() -> Any:
    """The re-run call that ``handle`` just prepared (read once)."""
    value, _results.value = _results.value, None
    return value


# Reloaded methods that newly call super() reach it as __hot_restart__.super:
# the surrogate cannot give a running method the __class__ cell that a bare
# ``super`` would make the compiler require.
handle.super = super  # type: ignore[attr-defined]


def forget() -> None:
    """Drop cached decisions, after module globals (exception classes) were rebound."""
    _fast.clear()
    if _catchers is not None:
        _catchers.clear_cache()


def _handled_by_instrumented(frame: FrameType, caller: FrameType, exc: BaseException) -> bool:
    global _catchers
    if _catchers is None:
        from . import catchers as _catchers_module

        _catchers = _catchers_module
    catcher = _catchers.nearest_catcher(caller, exc)
    if catcher is None or "__hot_restart__" not in catcher.f_code.co_names:
        return False
    if catcher is caller and _catchers.decision_is_stable(caller, exc):
        _fast.add((id(frame.f_code), id(caller.f_code), caller.f_lasti, type(exc)))
    return True
