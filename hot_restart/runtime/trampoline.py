"""The function instrumented code calls when an exception leaves its body.

This is the only runtime code on a hot path (every exception that passes
through an instrumented frame), so it does the cheap checks inline and hands
over to ``session`` only when it is really going to stop.  It returns itself
as the sentinel meaning "re-raise as if nothing happened", which lets the
generated code use a bare ``raise`` and keep the traceback untouched.
"""

from __future__ import annotations

import sys
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


def handle(exc: BaseException, qualname: str, kind: int) -> Any:
    if isinstance(exc, _ALWAYS_PROPAGATE) or STATE.exiting:
        return handle
    if type(exc) is RestartRequest:
        frame = sys._getframe(1)
        if exc.target is frame:
            return exc.call()
        return handle
    if exc.__dict__.get(DECLINED) or not STATE.interactive():
        return handle
    frame = sys._getframe(1)
    options = STATE.options_for(frame.f_code, qualname)
    if options.propagated and isinstance(exc, options.propagated):
        return handle
    if isinstance(exc, KeyboardInterrupt) and options.propagate_keyboard_interrupt:
        return handle
    policy = STATE.forced_stop_on or options.stop_on or STATE.stop_on
    if policy == "unhandled" and _handled_by_instrumented(frame, exc):
        return handle
    global _session
    if _session is None:
        from . import session as _session_module

        _session = _session_module
    return _session.stop(exc, frame, qualname, kind)


# Reloaded methods that newly call super() reach it as __hot_restart__.super:
# the surrogate cannot give a running method the __class__ cell that a bare
# ``super`` would make the compiler require.
handle.super = super  # type: ignore[attr-defined]


def _handled_by_instrumented(frame: FrameType, exc: BaseException) -> bool:
    global _catchers
    if _catchers is None:
        from . import catchers as _catchers_module

        _catchers = _catchers_module
    catcher = _catchers.nearest_catcher(frame.f_back, exc)
    return catcher is not None and "__hot_restart__" in catcher.f_code.co_names
