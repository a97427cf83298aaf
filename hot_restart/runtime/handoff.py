"""Where an exception goes when a pool or an event loop hands it to a waiter.

Why this exists: a function run by ``ThreadPoolExecutor`` or as an asyncio
task has no Python caller that will see its exception.  The pool's worker
catches everything (``_WorkItem.run``: ``except BaseException``) and an
asyncio task's step is C code, so the walk up the callers (catchers.find)
ends at a catch-all outside the program, or at no caller at all: a stop at
the crash site.  Yet the exception is only stored: it is raised again in
whoever waits for the result, ``future.result()`` in another thread or
``await task`` in another task, and a program that wraps that in a ``try``
handles it.  Plain Python shows nothing then, so stopping would be wrong.

The rule: where the walk would end at such a hand-off, it goes on in the
waiter, as if the waiter had called the crashed function:

* ``concurrent.futures.thread._WorkItem.run``: the thread blocked in
  ``Future.result()`` on that work item's future (found in
  ``sys._current_frames()``), from that ``result`` frame up;
* the outermost coroutine of the running asyncio task: the task awaiting
  this one (its ``task_wakeup`` is this task's done callback), from its
  innermost coroutine frame (suspended at the ``await``) out to its
  outermost, and from there on to whoever awaits that task in turn;
* ``asyncio.gather``'s callback: with ``return_exceptions=True`` the
  exception becomes a result (taken: ``GATHERED``); without it, the task
  awaiting the gather;
* an ``asyncio.TaskGroup``'s callback, once the task holding the ``async
  with`` waits in the group's exit: that task's frames from the one holding
  the ``async with`` out, which see the exception in a group
  (``catchers.AS_GROUP``: an ``except*`` there takes it, a plain ``except
  ValueError`` does not).

Limits, each erring towards a stop at the crash site, as before: nobody
waiting yet (the waiter has not reached ``result()`` or ``await``), more
than one waiter, a TaskGroup whose ``async with`` body still runs (its
task is cancelled first), or any other callback (``asyncio.wait``,
``as_completed``, ``shield``, ``add_done_callback``): the walk ends where it
did.  Process pools run the function in another process: not seen here.
Nothing is imported: a hand-off exists only where its module already is.
"""

from __future__ import annotations

import sys
from types import CodeType, FrameType
from typing import Any

from .catchers import AS_GROUP

#: What ``gathered`` answers for ``asyncio.gather(..., return_exceptions=True)``.
GATHERED: list[FrameType] = []


_WAKEUP = "task_wakeup"
_HOPS = 64


def worker_code() -> CodeType | None:
    """The code of ``_WorkItem.run``, if a thread pool was ever imported."""
    module = sys.modules.get("concurrent.futures.thread")
    run = getattr(getattr(module, "_WorkItem", None), "run", None)
    return getattr(run, "__code__", None)


def waiter_of_work(worker: FrameType) -> FrameType | None:
    """The ``result()`` frame of the thread waiting for ``worker``'s future
    (the walk goes on up from it); None when not exactly one thread waits."""
    future = worker.f_locals.get("self")
    future = getattr(future, "future", None)
    base = sys.modules.get("concurrent.futures._base")
    result = getattr(getattr(base, "Future", None), "result", None)
    code = getattr(result, "__code__", None)
    if future is None or code is None:
        return None
    found: list[FrameType] = []
    for top in sys._current_frames().values():
        frame: FrameType | None = top
        for _ in range(_HOPS):
            if frame is None:
                break
            if frame.f_code is code and frame.f_locals.get("self") is future:
                found.append(frame)
                break
            frame = frame.f_back
    return found[0] if len(found) == 1 else None


def awaiters(outermost: FrameType) -> list[FrameType] | None:
    """``outermost`` is the outermost coroutine frame of the running asyncio
    task: the frames of the task awaiting it, innermost first, and on through
    the tasks awaiting that one; GATHERED; or None (no single awaiter)."""
    task = _current_task()
    if task is None or getattr(task.get_coro(), "cr_frame", None) is not outermost:
        return None
    return _awaiting(task, 0)


def _current_task() -> Any:
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return None
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop in this thread
        return None


def _awaiting(future: Any, depth: int) -> list[FrameType] | None:
    callbacks = getattr(future, "_callbacks", None) or []
    if len(callbacks) != 1 or depth > _HOPS:
        return None
    callback = callbacks[0][0] if isinstance(callbacks[0], tuple) else callbacks[0]
    if getattr(callback, "__name__", None) == _WAKEUP:
        waiting = getattr(callback, "__self__", None)
        frames = _suspended_frames(waiting)
        if frames is None:
            return None
        further = _awaiting(waiting, depth + 1)
        if further is GATHERED:
            return GATHERED
        return frames + (further or [])
    parent = _taskgroup_parent(callback)
    if parent is not None:
        frames = _suspended_frames(parent)
        groups = sys.modules.get("asyncio.taskgroups")
        home = getattr(groups, "__file__", None)
        exits = 0
        while frames and frames[exits].f_code.co_filename == home and exits < len(frames) - 1:
            exits += 1
        if not exits:
            return None  # the parent is not in the group's exit yet: it is cancelled first
        further = _awaiting(parent, depth + 1)
        if further is GATHERED:
            return GATHERED
        return [AS_GROUP, *frames[exits:], *(further or [])]  # type: ignore[index]
    gathered = _gather_outcome(callback)
    if gathered is None:
        return None
    return_exceptions, outer = gathered
    if return_exceptions:
        return GATHERED
    return _awaiting(outer, depth + 1)


def _taskgroup_parent(callback: Any) -> Any:
    """The task holding the ``async with`` of the ``asyncio.TaskGroup`` whose
    ``_on_task_done`` ``callback`` is, else None."""
    group = getattr(sys.modules.get("asyncio.taskgroups"), "TaskGroup", None)
    done = getattr(group, "_on_task_done", None)
    if done is None or getattr(callback, "__func__", None) is not done:
        return None
    return getattr(callback.__self__, "_parent_task", None)


def as_group(exc: BaseException) -> BaseException:
    """``exc`` as a TaskGroup's exit raises it: in a group (3.11+)."""
    import builtins

    group: Any = getattr(builtins, "BaseExceptionGroup", None)
    return group("unhandled errors in a TaskGroup", [exc]) if group is not None else exc


def _gather_outcome(callback: Any) -> tuple[bool, Any] | None:
    """(return_exceptions, the gathering future) if ``callback`` is gather's."""
    code = getattr(callback, "__code__", None)
    asyncio = sys.modules.get("asyncio.tasks")
    gather = getattr(asyncio, "gather", None)
    if code is None or gather is None:
        return None
    if not any(constant is code for constant in gather.__code__.co_consts):
        return None
    cells = dict(zip(code.co_freevars, callback.__closure__ or (), strict=False))
    try:
        return bool(cells["return_exceptions"].cell_contents), cells["outer"].cell_contents
    except (KeyError, ValueError):  # another asyncio, or a cell not yet filled
        return None


def _suspended_frames(task: Any) -> list[FrameType] | None:
    """A suspended task's coroutine frames, innermost (at its ``await``) first."""
    get_coro = getattr(task, "get_coro", None)
    coro = get_coro() if get_coro is not None else None
    frames: list[FrameType] = []
    while coro is not None and len(frames) < _HOPS:
        frame = getattr(coro, "cr_frame", None)
        if frame is None:
            return None
        frames.append(frame)
        coro = getattr(coro, "cr_await", None)
        if getattr(coro, "cr_frame", None) is None:
            break  # the awaited future (a FutureIter): frames ends at the ``await``
    return frames[::-1] or None
