"""The function instrumented code calls when an exception leaves its body.

This is the only runtime code on a hot path (every exception that passes
through an instrumented frame while a prompt is possible: otherwise the
generated ``except`` catches nothing, see ``handle.catching``), so it does
the cheap checks inline and hands over to ``session`` only when it is really
going to stop.  It returns itself
as the sentinel meaning "re-raise as if nothing happened", which lets the
generated code use a bare ``raise`` and keep the traceback untouched.
"""

from __future__ import annotations

import sys
from _thread import _local
from types import FrameType, ModuleType, TracebackType

from ..constants import (
    CATCHING_NAME,
    ENTRY_DROP_ATTR,
    ENTRY_FRAME_ATTR,
    ENTRY_STORE_ATTR,
    HANDLER_NAME,
)
from .state import STATE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal, NoReturn

_ALWAYS_PROPAGATE = (SystemExit, GeneratorExit, StopIteration, StopAsyncIteration)


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

# Exceptions as control flow: callers found to catch such an exception in
# instrumented code, where that decision cannot vary and does not depend on
# the function that raised: the exception types each caller's call site
# catches, by site (see _site).  Then the whole decision is one dict lookup.
# Emptied whenever settings change; entries are added only while no
# function has stop_on="all" (which would stop even on a caught exception).
_fast: dict[int, tuple[type[BaseException], ...]] = STATE.fast_propagate
# Call sites that do not catch: the types with a cached "not caught"
# decision there, so that the fast path may look a few callers up
# (pyparsing's parsers catch two or three frames above the raise, and up
# to five in ``infix_notation``'s: with four hops one of its failures went
# to the slow path on every parse).
_passes: dict[int, tuple[type[BaseException], ...]] = {}
_HOPS = 5
# A call site, the caller's code and the offset it is suspended at, as one
# int: the address of that instruction.  From 3.11 the bytecode is stored
# inside the code object and ``f_lasti`` is its byte offset there, so
# ``id(code) + f_lasti`` is an address inside the code object; on 3.10 the
# bytecode is the ``co_code`` bytes object the code holds, so the id of
# that.  Either way no two live code objects share a site, and the caches
# above hold sites only while the code they name lives (catchers' regions
# table holds it; forget() empties them first).  An int, not a tuple: per
# exception, building and hashing (id(code), f_lasti, type) was most of
# this path; now the type is compared by identity in a tuple of one.
if sys.version_info >= (3, 11):
    _code_key = id
else:

    def _code_key(code: Any) -> int:
        return id(code.co_code)


def _site(frame: FrameType) -> int:
    """The call site ``frame`` is suspended at (see above)."""
    return _code_key(frame.f_code) + frame.f_lasti


_exception = getattr(sys, "exception", None) or (lambda: sys.exc_info()[1])
_getframe = sys._getframe
_gettrace = sys.gettrace
_finalizing = sys.is_finalizing

# No terminal: the streams and the STATE._tty answer that said so, compared
# by identity (a changed stream, or forget_terminal(), asks again).
_quiet_in: object = None
_quiet_out: object = None
_quiet_tty: object = None

# The decision "an instrumented frame catches it" holds for every frame the
# exception passes on its way there: (id(exc), id(the traceback entry of the
# frame that decided), id(that frame's code), id(the catcher frame)).  Ids
# only: keeping the exception, a traceback or a frame would keep the crashed
# frames' locals alive.  One slot: an exception handled meanwhile only costs
# one more walk.
_memo: tuple[int, int, int, int] = (0, 0, 0, 0)
# A stop deferred past C code or a suppressing ``with``: (id(exc), id(the
# frame it was raised in), its qualified name), for the late stop's banner.
_deferred: tuple[int, int, str] = (0, 0, "")


def handle(qualname: str | Literal[False] | None = "", /) -> Any:
    """Called in the ``except:`` clause of an instrumented function.

    True means "re-raise"; False means the function was reloaded, and
    ``handle(None)`` then hands over the call that re-runs it (the generated
    code makes it after its ``except`` block); ``handle(False)`` is asked
    when that re-run raised (see ``rerun_failed``).  On 3.11+ the
    qualified name comes from the code object; 3.10 code passes it.
    """
    global _memo
    if qualname != "":  # one test for the common call (3.11+ passes nothing)
        if qualname is None:
            return take()
        if qualname is False:
            return rerun_failed(_getframe(1))
    # Whatever the answer, this call of the function is over (it re-raises,
    # or its re-run has the arguments already): its entry record goes, as
    # transform._record_entry leaves it to this handler.  The decision may
    # still need it (session.original_arguments): _decide puts it back.
    record = None
    exc = None
    if entry_arguments:
        ended = _getframe(1)
        record = entry_arguments.pop(ended, None)
        exc = _exception()
        if type(exc) is RecursionError:
            _drop_finished(exc, ended)
    if _gettrace() is not None:
        # The generated ``raise`` and re-run statement have the def line (a
        # frame must have one); a tracer must not see them as lines the
        # program ran.  Whatever the answer, this frame runs no more of its
        # own lines: it re-raises, or returns what its re-run returns.
        _getframe(1).f_trace_lines = False
        if not _hidden_from_bdb:
            _hide_from_bdb()
    if sys.stdin is _quiet_in and sys.stdout is _quiet_out and STATE._tty is _quiet_tty:
        if not STATE.real_terminal:
            return True  # no prompt is possible (a restart needs one first)
    if exc is None:
        exc = _exception()
    cls = type(exc)
    try:
        caller: FrameType | None = _getframe(2)
    except ValueError:  # called from C with no Python frame above
        caller = None
    if caller is not None:
        site = _code_key(caller.f_code) + caller.f_lasti  # _site(caller), inline
        if cls in _fast.get(site, ()):
            return True
    memo = _memo
    if memo[0] == id(exc) and exc is not None:
        # The same exception on its way to the catcher found below: the
        # entry under this frame's in its traceback is the one that decided.
        # Before the walk up the callers below: a frame between a deep raise
        # and its catcher would look a few callers up in vain first.
        tb = exc.__traceback__
        if tb is not None and id(tb.tb_frame) != memo[3]:
            below = tb.tb_next
            if below is not None and id(below) == memo[1]:
                if id(below.tb_frame.f_code) == memo[2]:
                    _memo = (memo[0], id(tb), id(tb.tb_frame.f_code), memo[3])
                    return True
            elif _in_flight(below, memo, tb):
                return True
    if caller is not None:
        frame = caller
        hops = 0
        while hops < _HOPS and cls in _passes.get(site, ()):
            up = frame.f_back
            if up is None:
                break
            frame = up
            site = _code_key(frame.f_code) + frame.f_lasti
            if cls in _fast.get(site, ()):
                return True
            hops += 1
    return _decide(exc, _getframe(1), caller, qualname, record)


#: bdb's stepping no longer enters hot_restart's frames (see stepping).
_hidden_from_bdb = False


def _hide_from_bdb() -> None:
    """Under a tracer: a bdb that state did not see imported is wrapped now."""
    global _hidden_from_bdb
    bdb = sys.modules.get("bdb")
    if bdb is not None:
        from .stepping import hide_from

        hide_from(bdb)
        _hidden_from_bdb = True


def _in_flight(
    below: TracebackType | None, memo: tuple[int, int, int, int], tb: TracebackType
) -> bool:
    """The deciding entry a few entries down (frames without a trampoline between)."""
    global _memo
    for _ in range(8):
        if below is None:
            return False
        if id(below) == memo[1]:
            if id(below.tb_frame.f_code) != memo[2]:
                return False
            _memo = (memo[0], id(tb), id(tb.tb_frame.f_code), memo[3])
            return True
        below = below.tb_next
    return False


def rerun_failed(frame: FrameType) -> bool:
    """A crashed frame's re-run raised: True to re-raise, False to re-run again.

    Again when the debugger's ``restart`` targets this frame.  Otherwise its
    own entry leaves the traceback: plain Python would show the caller, then
    the function (its last version); the crashed copy, which only passed the
    re-run's result on, is no part of that.  The generated bare ``raise``
    then adds no entry of its own.  That entry can be the only one: an
    exception raised by the re-run statement itself (the re-run's arguments
    no longer bind), or one made on the re-run's way out (a coroutine's
    StopIteration turned RuntimeError); plain Python shows no entry of the
    function for those either.
    """
    exc = _exception()
    if exc is None:
        return True
    if type(exc) is RestartRequest and exc.target is frame:
        _results.value = exc.call
        return False
    tb = exc.__traceback__
    if tb is None or tb.tb_frame is not frame:
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
    exc: BaseException | None,
    frame: FrameType,
    caller: FrameType | None,
    qualname: str,
    record: tuple[Any, ...] | None = None,
) -> bool:
    global _quiet_in, _quiet_out, _quiet_tty
    if exc is None or isinstance(exc, _ALWAYS_PROPAGATE) or STATE.exiting:
        return True
    if type(exc) is RestartRequest:
        if exc.target is not frame:
            return True
        _results.value = exc.call
        return False
    if not STATE.interactive():
        if not STATE.real_terminal:
            _quiet_in, _quiet_out, _quiet_tty = sys.stdin, sys.stdout, STATE._tty
        return True
    if _finalizing():
        # At interpreter exit (a ``__del__`` raising while modules are torn
        # down) importing the rest of the runtime would fail and replace the
        # program's own error; there is no prompt to give anyway.
        return True
    if declined(exc) or _cancelled(exc):
        return True
    if not qualname:
        qualname = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
    code = frame.f_code
    options = STATE.options_for(code, qualname)
    policy = STATE.forced_stop_on or options.stop_on or STATE.stop_on
    if policy == "unhandled" and caller is not None:
        tb = exc.__traceback__
        if _handled(exc, frame, caller, tb):
            return True
    if options.propagated and isinstance(exc, options.propagated):
        return True
    if isinstance(exc, KeyboardInterrupt) and options.propagate_keyboard_interrupt:
        return True
    global _session
    if _session is None:
        from . import session as _session_module

        _session = _session_module
    _late_note(exc, frame, qualname)
    STATE.prompted = True  # see State.prompted
    if record is not None:
        entry_arguments[frame] = record  # for the prompt: session.original_arguments
    try:
        rerun = _session.stop(exc, frame, qualname)
    except RestartRequest as request:  # for an outer frame: unwound from the re-run statement
        rerun = request.unwind
    finally:
        entry_arguments.pop(frame, None)
    if rerun is None:
        return True
    _results.value = rerun
    return False


#: Where the event loops keep the exception that cancels a task: (module, name).
_CANCELLATIONS = (("asyncio.exceptions", "CancelledError"), ("trio", "Cancelled"))


def _cancelled(exc: BaseException) -> bool:
    """A task being cancelled (a timeout, a shutdown): the loop's business, never a crash.

    A cancelled coroutine's frame has no Python caller to read (its task's
    step is C code), so the policy could not see the ``except
    CancelledError`` or ``wait_for`` that handles it.  The loop's module is
    imported wherever its exception exists, so nothing is imported here.
    """
    for module, name in _CANCELLATIONS:
        kind = getattr(sys.modules.get(module), name, None)
        if kind is not None and isinstance(exc, kind):
            return True
    return False


def _drop_finished(exc: BaseException | None, frame: FrameType) -> None:
    """Drop the records of the frames this RecursionError has left.

    At the recursion limit a frame's handler cannot call the runtime (the
    call is one too many, see transform._handler), so the frames nearest the
    limit re-raise with their records kept; the first handler that can be
    called finds them below its own entry in the traceback, all finished.
    """
    tb = exc.__traceback__ if exc is not None else None
    while tb is not None and tb.tb_frame is not frame:
        tb = tb.tb_next
    while tb is not None:
        entry_arguments.pop(tb.tb_frame, None)
        tb = tb.tb_next


def _late_note(exc: BaseException, frame: FrameType, qualname: str) -> None:
    """Say so when the stop happens above the crash site (see _handled)."""
    deferred = _deferred
    if deferred[0] != id(exc) or deferred[1] == id(frame):
        return
    tb = exc.__traceback__
    while tb is not None and id(tb.tb_frame) != deferred[1]:
        tb = tb.tb_next
    if tb is None:
        return  # an older exception's entry
    from .messages import say

    short = qualname.rsplit(".", 1)[-1]
    say(
        f"{deferred[2]} raised it and returned through code that could have swallowed it "
        f"(C code or a `with`); it reached {qualname}, where it stops: "
        f"`c` reloads {deferred[2]} and re-runs {short}"
    )


# Declined exceptions (the user typed `q`): the outer frames let them pass.
# Kept here, not on the exception: nothing of ours may show in its __dict__
# or survive pickling.  (id, exception) pairs for the last few: holding the
# exception keeps the ids valid.
_declined: list[tuple[int, BaseException]] = []


def decline(exc: BaseException) -> None:
    """The user let ``exc`` go: no prompt for it from outer frames."""
    _declined.append((id(exc), exc))
    del _declined[:-8]


def declined(exc: BaseException) -> bool:
    """Whether the user let ``exc`` go (kept beside it: nothing is added to
    the exception, so ``vars(exc)`` and its pickles stay the program's own)."""
    if not _declined:
        return False
    key = id(exc)
    return any(k == key for k, _ in _declined)


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
# (written by the generated code, dropped by it at a return and by handle
# when an exception leaves: transform._record_entry; read by
# session.original_arguments).
entry_arguments: dict[FrameType, tuple[Any, ...]] = {}
setattr(handle, ENTRY_STORE_ATTR, entry_arguments)
setattr(handle, ENTRY_FRAME_ATTR, _getframe)
setattr(handle, ENTRY_DROP_ATTR, entry_arguments.pop)

# What the generated ``except`` catches: BaseException while a prompt is
# possible in this process, () otherwise, so that exceptions pass
# instrumented frames without entering their handlers (see
# state.State.refresh_catching, which keeps it current, and
# transform._handler; instrumented modules hold a copy as the global
# ``__hot_restart_catching__``).  The same flag says whether to record entry
# arguments.
handle.catching = ()  # type: ignore[attr-defined]
STATE.handlers.append(handle)
STATE.refresh_catching()


def bind(namespace: dict[str, Any], handler: Any = handle) -> None:
    """Give a namespace the two globals instrumented code reads: the handler,
    and what it catches now (kept current by state.refresh_catching while the
    namespace is a module's in ``sys.modules``; see transform._bind_handler)."""
    namespace[HANDLER_NAME] = handler
    namespace[CATCHING_NAME] = getattr(handler, "catching", BaseException)


def forget() -> None:
    """Drop cached decisions, after module globals (exception classes) were rebound."""
    _fast.clear()
    _passes.clear()
    if _catchers is not None:
        _catchers.clear_cache()


def _handled(
    exc: BaseException, frame: FrameType, caller: FrameType, tb: TracebackType | None
) -> bool:
    """No stop here: instrumented code (a function, or a module's top level)
    handles it, C code swallows it, a library catches it by name, or the
    decision moves to a frame above C code that might swallow it."""
    global _catchers, _memo, _deferred
    if _catchers is None:
        from . import catchers as _catchers_module

        _catchers = _catchers_module
    catchers = _catchers
    how, catcher, defer = catchers.find(frame, exc)
    if how == catchers.GATHERED:
        return True  # asyncio.gather(..., return_exceptions=True): a result (no path to cache)
    if how == catchers.SWALLOWED:
        if catcher is caller and isinstance(exc, AttributeError):
            from . import boundaries

            if catchers.decision_is_stable(caller, exc) and boundaries.cached(caller, frame, exc):
                _remember_fast(caller, exc)  # hasattr, getattr with a default: any callee
        return True
    if catcher is not None and (how == catchers.CAUGHT or catchers.is_user_code(catcher)):
        # Instrumented code handles it, or a library catches it by its name
        # (argparse's ``type=``); only a catch-all outside the user's code
        # (a framework, threading, asyncio) counts as a crash.
        _remember_path(caller, catcher, exc)
        if tb is not None and _no_stop_on_all():
            _memo = (id(exc), id(tb), id(frame.f_code), id(catcher))
        return True
    if defer is not None:
        if _deferred[0] != id(exc):
            _deferred = (
                id(exc),
                id(frame),
                getattr(frame.f_code, "co_qualname", frame.f_code.co_name),
            )
        return True
    return False


def _remember_path(caller: FrameType, catcher: FrameType, exc: BaseException) -> None:
    """Let the fast path find this catcher: a few callers up at most, each
    with a cached "not caught" decision on the way."""
    assert _catchers is not None
    decisions = _catchers._decisions
    cls = type(exc)
    on_the_way: list[int] = []
    frame: FrameType | None = caller
    while frame is not None and frame is not catcher and len(on_the_way) < _HOPS - 1:
        key = (id(frame.f_code), frame.f_lasti, cls)
        if decisions.get(key) != _catchers.NOT_CAUGHT:
            return
        on_the_way.append(_site(frame))
        frame = frame.f_back
    if frame is catcher and _catchers.decision_is_stable(catcher, exc) and _no_stop_on_all():
        for site in on_the_way:
            _add(_passes, site, cls)
        _add(_fast, _site(catcher), cls)


def _remember_fast(caller: FrameType, exc: BaseException) -> None:
    if _no_stop_on_all():
        _add(_fast, _site(caller), type(exc))


def _add(
    sites: dict[int, tuple[type[BaseException], ...]], site: int, cls: type[BaseException]
) -> None:
    """Note ``cls`` at ``site`` (one new tuple: a reader never sees it half made)."""
    known = sites.get(site, ())
    if cls not in known:
        sites[site] = (*known, cls)


def _no_stop_on_all() -> bool:
    """No function stops on caught exceptions: the fast path may skip the policy."""
    if STATE.forced_stop_on is not None:
        return STATE.forced_stop_on == "unhandled"
    if STATE.stop_on != "unhandled":
        return False
    options = (*STATE.by_def.values(), *STATE.by_file.values())
    return all(o.stop_on != "all" for o in options)
