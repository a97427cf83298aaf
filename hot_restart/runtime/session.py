"""One crash, from the prompt to the re-run.

Only one debugger session runs at a time: a crash in another thread waits
for the current one to end, and its banner names its thread.  The lock is
released before the re-run, so a crash inside the re-run can prompt again.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType, FunctionType
from typing import Any

from ..errors import ReloadException
from ..transform import (
    KIND_ASYNC_GENERATOR,
    KIND_GENERATOR,
    is_instrumented,
    kind_of,
    records_entry,
)
from . import debuggers, environment, heal, rebind, registry, shipped, tty
from .messages import say
from .reload import qualname_of, reload_changed, reload_function
from .state import STATE
from .trampoline import RestartRequest, decline

TYPE_CHECKING = False
if TYPE_CHECKING:
    from . import callsite

_lock = threading.RLock()
_CO_VARARGS = 0x04
_CO_VARKEYWORDS = 0x08
_CO_ANY_GENERATOR = 0x20 | 0x200
_GENERATORS = (KIND_GENERATOR, KIND_ASYNC_GENERATOR)


def stop(exc: BaseException, frame: FrameType, qualname: str) -> Callable[[], Any] | None:
    """None to let ``exc`` propagate, or the call that re-runs ``frame``'s function."""
    if STATE.handled_by_host is not None and STATE.handled_by_host(exc, frame):
        return None
    kind = kind_of(frame.f_code.co_flags)
    target: FrameType | None
    remote = sys.modules.get("hot_restart.runtime.remote")
    served = remote is not None and remote.active()  # no terminal: serve it over TCP
    # One prompt at a time in the thread and the process tree; a remote session
    # has its own port, so waiting workers need not queue for the terminal.
    with _lock, contextlib.nullcontext() if served else tty.turn(), shipped.listing(frame):
        edited = shipped.adopt(frame, qualname)  # code cloudpickle shipped: its file back
        shipped.adopt_callers(frame)
        healed = None if kind in _GENERATORS else heal.rerun_if_changed(frame, qualname, edited)
        if healed is not None:
            target, call = frame, healed  # fixed elsewhere (another worker's prompt)
        elif served:
            prompt = functools.partial(_prompt_until_ready, exc, frame, qualname, kind)
            target, call = remote.serve(exc, frame, qualname, prompt) or (None, _nothing)  # type: ignore[union-attr]
        else:
            with (STATE.around_prompt or contextlib.nullcontext)(), tty.on_terminal():
                target, call = _prompt_until_ready(exc, frame, qualname, kind)
    if target is None:
        decline(exc)
        return None
    if target is frame:
        _rerunning.append((id(frame), id(frame.f_code)))
        del _rerunning[:-16]
        return call
    decline(exc)
    raise RestartRequest(target, call)


def _prompt_until_ready(
    exc: BaseException, frame: FrameType, qualname: str, kind: int
) -> tuple[FrameType | None, Callable[[], Any]]:
    environment.refresh()
    name = debuggers.choose()
    _banner(exc, frame, qualname, kind, name)
    last_run = _last_run_of(exc, frame, qualname)
    warned = False
    while True:
        STATE.reraise_requested = False
        opened = time.monotonic()
        outcome = debuggers.run(name, exc, frame)
        if STATE.exiting or outcome.action == "quit":
            STATE.reraise_requested = False
            return None, _nothing
        if outcome.action == "continue" and last_run is not None and _disk() == last_run:
            # The same crash again, from a re-run of the same code: a debugger
            # that returns without stopping must not make it a tight loop.
            # (`restart` is typed on purpose, on a frame of the user's choice.)
            stopped = outcome.stopped
            if stopped is None:  # the adapter cannot tell: nobody answers that fast
                stopped = time.monotonic() - opened >= AT_ONCE
            if not stopped:
                say(
                    f"the debugger ({name}) returned without stopping, and nothing changed on "
                    f"disk since the last run of {qualname}; letting the exception propagate"
                )
                return None, _nothing
            if not warned:
                warned = True
                say(
                    f"nothing changed on disk since the last run of {qualname}; fix it and `c`, "
                    "`c` again to re-run it as it is, or `q` to let the exception propagate"
                )
                continue
        target = outcome.frame if outcome.frame is not None else frame
        if kind in (KIND_GENERATOR, KIND_ASYNC_GENERATOR) and target is frame:
            caller = _restartable_caller(frame)
            if caller is None:
                say(f"{qualname} is a generator and no caller can be restarted; `q` to let it go")
                continue
            say(f"{qualname} is a generator: restarting its caller {caller.f_code.co_name} instead")
            target = caller
        try:
            call = _prepare(target)
        except ReloadException as e:
            say(str(e))
            continue
        except Exception as e:  # a bug of ours must not end the user's program
            say(
                f"internal error while reloading ({e.__class__.__name__}: {e}); the previous "
                "version stays; please report it, and `q` to let the exception propagate"
            )
            continue
        _reload_frames_below(target, exc)
        # Under the session lock: what a crash in the re-run is compared with.
        _runs[(id(target), id(target.f_code))] = (_crash_key(exc, frame, qualname), _disk())
        while len(_runs) > 16:
            del _runs[next(iter(_runs))]
        return target, call


def _nothing() -> None:
    return None


#: A debugger back sooner than this (seconds) did not wait for anyone (for
#: the adapters that cannot say whether they read a command: pudb, pydevd).
AT_ONCE = 0.3

#: The re-runs handed over, by (id(frame), id(its code)) of the frame that
#: re-runs: the crash that led there and the source files' stamps then.
_runs: dict[tuple[int, int], tuple[tuple[str, str, type[BaseException]], tuple[object, ...]]] = {}


def _crash_key(exc: BaseException, frame: FrameType, qualname: str) -> tuple[str, str, type]:
    return (frame.f_code.co_filename, qualname, type(exc))


def _last_run_of(exc: BaseException, frame: FrameType, qualname: str) -> tuple[object, ...] | None:
    """The stamps taken when this same crash was last re-run, if it is a re-run of it.

    The re-run is below the frame that re-runs (a frame alive in its handler
    meanwhile, so its id is its own); the crash is "the same" when it is in
    the same function with the same exception type.
    """
    if not _runs:
        return None
    key = _crash_key(exc, frame, qualname)
    caller = frame.f_back
    while caller is not None:
        found = _runs.get((id(caller), id(caller.f_code)))
        if found is not None:
            return found[1] if found[0] == key else None
        caller = caller.f_back
    return None


def _disk() -> tuple[object, ...]:
    """Stamps of every file instrumented code came from: a fix may be in any of them."""
    import os

    stamps: list[object] = []
    for name in sorted({*registry.sources, *registry.stamps}):
        try:
            st = os.stat(name)
        except OSError:
            stamps.append(None)
        else:
            stamps.append(registry.stat_fields(st))
    return tuple(stamps)


def _banner(
    exc: BaseException, frame: FrameType, qualname: str, kind: int, debugger: str = "pdb"
) -> None:
    module = sys.modules.get("hot_restart")
    where = f"{frame.f_globals.get('__name__', '?')}.{qualname}"
    thread = threading.current_thread()
    in_thread = "" if thread is threading.main_thread() else f" [thread {thread.name}]"
    in_thread += tty.label()  # which process, when workers share the terminal
    short = qualname.rsplit(".", 1)[-1]
    print(f"> hot_restart: {where} raised {exc!r}{in_thread}", flush=True)
    caller = frame.f_back
    if caller is not None and is_rerunning(caller):
        print(RERUN_CAVEAT, flush=True)
    if getattr(module, "PRINT_HELP_MESSAGE", True):
        what = "its caller" if kind in (KIND_GENERATOR, KIND_ASYNC_GENERATOR) else short
        if debugger == "pydevd":
            from .ide import help_line

            print(help_line(what), flush=True)
        else:
            print(
                f"> (c)ontinue: reload {what} from disk and run it again | `up` then `restart`: "
                "re-run that frame | (q)uit: let the exception propagate",
                flush=True,
            )
        if module is not None:
            setattr(module, "PRINT_HELP_MESSAGE", False)  # noqa: B010 (a setting users read)


def _restartable_caller(frame: FrameType) -> FrameType | None:
    caller = frame.f_back
    while caller is not None:
        if is_instrumented(caller.f_code) and not caller.f_code.co_flags & _CO_ANY_GENERATOR:
            return caller
        caller = caller.f_back
    return None


def _prepare(target: FrameType) -> Callable[[], Any]:
    """Reload the target's function and return the call that re-runs it."""
    fn = rebind.frame_function(target)
    if fn is None:
        raise ReloadException(
            f"cannot find the function running {target.f_code.co_name}; `up` and `restart` a caller"
        )
    fn = registry.successor(fn)  # reload_module() ran the module again: its definition
    call = rerun_arguments(target)
    args, kwargs = call.args, call.kwargs
    module = sys.modules.get("hot_restart")
    qualname = qualname_of(fn)
    if getattr(module, "RELOAD_ON_CONTINUE", True):
        if getattr(module, "RELOAD_ALL_ON_CONTINUE", True):
            # The fix may be anywhere: in a helper that already returned, a
            # new import, constant or helper function.
            report = reload_changed(fn, qualname, call)
            home = fn.__globals__.get("__name__")
            message = f"reloaded {', '.join(report.names(home if isinstance(home, str) else None))}"
            if report.not_run:
                message += (
                    f"; module-level code changed at {', '.join(report.not_run)} is not "
                    "re-run (`hot_restart.reload_module()` re-runs the whole module)"
                )
            say(message)
        else:
            reload_function(fn, qualname, call=call)
            say(f"reloaded {qualname}")

    return rerun_call(target, fn, args, kwargs, call.shape is not None)


def rerun_call(
    frame: FrameType, fn: FunctionType, args: list[Any], kwargs: dict[str, Any], known: bool
) -> Callable[[], Any]:
    """The call that re-runs ``frame``'s function with its original arguments.

    A partial, not a closure: no frame of ours between the caller and the
    re-run in a traceback.  An implementation that a ``singledispatch``
    function called is re-run through that function, as the program called
    it: a registration the fix added (``@key.register def _(x: int)``) is
    then the one that runs.  ``known``: the arguments are passed as the
    crashed call passed them; a crash in the re-run then reads that shape
    (``callsite.remember_rerun``).
    """
    from . import callsite
    from .boundaries import dispatcher_code

    shape = callsite.Shape(len(args), frozenset(kwargs)) if known else None
    callsite.remember_rerun(frame, shape)

    caller = frame.f_back
    if caller is not None and caller.f_code is dispatcher_code():
        dispatcher = rebind.frame_function(caller)
        if dispatcher is not None:
            return functools.partial(dispatcher, *args, **kwargs)
    return functools.partial(fn, *args, **kwargs)


def _reload_frames_below(target: FrameType, exc: BaseException) -> None:
    """Reload the instrumented functions the re-run of ``target`` will enter.

    The edit that fixes the crash may be in any of them (in the crashed
    generator, when its consumer is restarted); a failure here is reported
    and leaves that function as it was, since the target itself reloaded.
    """
    module = sys.modules.get("hot_restart")
    if not getattr(module, "RELOAD_ON_CONTINUE", True):
        return
    seen = {target.f_code}
    tb = exc.__traceback__
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    if target in frames:
        # A late stop (the trampoline's _late_note): the target's own entry
        # heads the traceback, and the crashed frames below it have returned.
        frames = frames[frames.index(target) + 1 :]
    else:
        # Live frames between the target and the crashed one, then the crashed ones.
        caller = frames[0].f_back if frames else None
        while caller is not None and caller is not target:
            frames.append(caller)
            caller = caller.f_back
        if caller is None:
            return  # the target is below the crash site: nothing between
    for frame in frames:
        if frame.f_code in seen or not is_instrumented(frame.f_code):
            continue
        seen.add(frame.f_code)
        fn = rebind.frame_function(frame)
        if fn is None:
            continue
        try:
            reload_function(fn, qualname_of(fn))
        except ReloadException as e:
            say(str(e))


def original_arguments(frame: FrameType) -> tuple[list[Any], dict[str, Any]]:
    """The arguments of the call a frame is running, as they were at entry (see ``rerun_arguments``)."""
    found = rerun_arguments(frame)
    return found.args, found.kwargs


def rerun_arguments(frame: FrameType) -> callsite.Call:
    """The arguments of the call a frame is running, as they were at entry,
    passed as that call passed them.

    What the body rebound (or a nested def through ``nonlocal``), and the
    ``**kwargs`` dict when the body may change it, were recorded on entry by
    the generated code, outside the frame (``trampoline.entry_arguments``);
    the other parameters still hold the objects the caller passed.

    When the caller's call site tells how they were passed
    (``callsite.read``), the first ones go by position and the others by
    name, and a parameter the call did not pass is left out: a fix that
    reorders, renames or inserts parameters, or changes that default, then
    binds as plain Python would bind the call to the fixed function.
    Otherwise every named parameter goes by position (``shape`` None), which
    ``reload._check_call`` accepts only when that is exact anyway.
    """
    from . import callsite
    from .trampoline import entry_arguments

    code = frame.f_code
    values = dict(frame.f_locals)
    recorded = entry_arguments.get(frame)
    if recorded is not None:
        values.update(zip(recorded[0], recorded[1:], strict=True))
    elif records_entry(code):
        # Its parameters may hold rebound values: it started while no prompt
        # was possible, when nothing is recorded (trampoline.handle.catching),
        # it already passed its arguments on to its re-run, or its ``return``
        # dropped the record before a ``finally`` or ``with`` exit raised
        # (see transform._record_entry).
        name = getattr(code, "co_qualname", code.co_name)
        why = (
            "it is waiting for its re-run"
            if is_rerunning(frame)
            else "it started before a prompt was possible, or crashed after its `return`"
        )
        raise ReloadException(
            f"the arguments {name} was called with were not kept ({why}, and it rebinds "
            "them); `up` and `restart` a caller"
        )
    shape = callsite.read(frame)
    names = code.co_varnames
    argcount = code.co_argcount
    passed = argcount if shape is None else min(shape.positional, argcount)
    positional = [values[n] for n in names[:passed]]
    end = argcount + code.co_kwonlyargcount
    if shape is None:
        keywords = {n: values[n] for n in names[argcount:end]}
    else:
        by_name = names[max(passed, code.co_posonlyargcount) : end]
        keywords = {n: values[n] for n in by_name if n in shape.keywords}
    if code.co_flags & _CO_VARARGS:
        positional.extend(values[names[end]])
        end += 1
    if code.co_flags & _CO_VARKEYWORDS:
        keywords.update(values[names[end]])
    return callsite.Call(positional, keywords, shape)


#: Frames whose re-run was handed over, as (id, id of its code): a crash whose
#: caller is one of them is a crash in a re-run.  Ids, not frames: a frame
#: here would keep its locals alive; a reused id would also need the code.
_rerunning: list[tuple[int, int]] = []


def is_rerunning(frame: FrameType) -> bool:
    """``frame`` is a crashed copy of a function, re-running it."""
    return (id(frame), id(frame.f_code)) in _rerunning


#: One line in the banner of a crash inside a re-run: what
#: ``original_arguments`` cannot give back.
RERUN_CAVEAT = (
    "> the re-run got the arguments as they were at entry; what the first run changed "
    "in place (a list it appended to, a consumed iterator, a file it wrote) stays changed"
)


def reload_all(skip: FunctionType | None = None) -> list[str]:
    """Reload every definition edited since it was loaded, but ``skip``: see reload.reload_changed."""
    return reload_changed(skip).qualnames
