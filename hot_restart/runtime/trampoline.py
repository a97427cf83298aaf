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
    from typing import Any

_ALWAYS_PROPAGATE = (SystemExit, GeneratorExit, StopIteration, StopAsyncIteration)
DECLINED = "__hot_restart_declined__"


class RestartRequest(BaseException):
    """Unwinds the frames below ``target`` (running their finally blocks),
    so that the target's own trampoline can re-run it."""

    def __init__(self, target: FrameType, call: Any) -> None:
        super().__init__(f"hot_restart: restarting {target.f_code.co_name}")
        self.target = target
        self.call = call  # what the target's trampoline returns in its place


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


def handle(qualname: str | None = "", /) -> Any:
    """Called in the ``except:`` clause of an instrumented function.

    True means "re-raise"; False means the function was reloaded, and
    ``handle(None)`` then hands over the call that re-runs it (the generated
    code makes it after its ``except`` block).  On 3.11+ the qualified name
    comes from the code object; 3.10 code passes it.
    """
    if qualname is None:
        return take()
    frame = _getframe(1)
    caller = frame.f_back
    if (
        caller is not None
        and (id(frame.f_code), id(caller.f_code), caller.f_lasti, type(_exception())) in _fast
    ):
        return True
    return _decide(_exception(), frame, caller, qualname)


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
    if not STATE.interactive():
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
    rerun = _session.stop(exc, frame, qualname)
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

# Entry arguments of the running calls that rebind a parameter, by frame
# (written and dropped by the generated code: transform._record_entry; read
# by session.original_arguments).
handle.entry_arguments = {}  # type: ignore[attr-defined]
handle.this_frame = _getframe  # type: ignore[attr-defined]


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
