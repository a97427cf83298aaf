"""Jupyter and IPython kernels: the front end's input box is the prompt.

In a kernel, stdin and stdout are not terminals, so nothing would prompt.
Yet for each execute request ipykernel points ``builtins.input`` at its
kernel's ``raw_input``, which sends an ``input_request`` to the front end
when the request allows stdin (a notebook's does; papermill's and
nbconvert's do not).  pdb and ipdb read their commands with ``input()``, so
they work through it unchanged; what this module adds:

- **Where a prompt can happen.**  ``can_prompt`` (one of
  ``STATE.prompt_places``) is true while such a request runs: the kernel is
  ``builtins.input.__self__`` and its ``_allow_stdin`` is on.  It is asked
  only when ``STATE.interactive()``'s cached answer is asked again, so the
  cell events (IPython's ``pre_run_cell`` and ``post_run_cell``) make it
  forget the answer: each cell gets its own, and a crash outside a cell (a
  thread still running) finds no front end.  Without stdin nothing of
  hot_restart shows: the exception propagates as it would without it.
- **Settings.**  The same events read the ``HOT_RESTART_*`` settings from
  the environment again (``%env`` in a cell takes effect from the next one).
- **Interrupt.**  Interrupting the kernel at the prompt ends the session
  with the original exception: ipykernel makes ``pdb.Pdb`` (and ipdb's
  class in a kernel) IPython's ``InterruptiblePdb``, which leaves its loop
  on KeyboardInterrupt, and the adapter takes that as ``q``.
- **Watch-to-continue.**  The kernel waits for the reply on its stdin
  socket; a save makes the watcher send that reply itself (``continue``),
  from a socket of its own, as the front end would.

Nothing here imports IPython or ipykernel: all of it is reached through
the kernel object that ipykernel already put in ``builtins`` (and zmq,
which the watcher needs, is imported only inside a kernel, which has it).
"""

from __future__ import annotations

import builtins

from .state import STATE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from contextlib import AbstractContextManager
    from typing import Any

_active = False
_hooked: list[object] = []  # the shells whose cell events are hooked (one, in practice)


def activate() -> None:
    """Let a kernel's front end be a prompt (install(), wrap_module(), the extension)."""
    global _active
    if not _active:
        _active = True
        STATE.prompt_places.append(can_prompt)
        STATE.forget_terminal()
    kernel = current()
    if kernel is not None:
        _hook_cells(kernel)


def current() -> Any:
    """The kernel whose ``raw_input`` is ``input()`` now, or None.

    Between execute requests (and outside a kernel) ``input`` is the
    built-in one, whose ``__self__`` is the ``builtins`` module.
    """
    owner = getattr(builtins.input, "__self__", None)
    if owner is None or getattr(owner, "_allow_stdin", None) is None:
        return None
    return owner


def can_prompt() -> bool:
    """A front end will answer ``input()``: a kernel request with stdin allowed."""
    kernel = current()
    if kernel is None:
        return False
    _hook_cells(kernel)
    return kernel._allow_stdin is True


def _hook_cells(kernel: Any) -> None:
    shell = getattr(kernel, "shell", None)
    events = getattr(shell, "events", None)
    if events is None or any(s is shell for s in _hooked):
        return
    try:
        events.register("pre_run_cell", _cell_starts)
        events.register("post_run_cell", _cell_ended)
    except Exception:  # an IPython without these events: the first answer stays
        return
    _hooked.append(shell)


def _cell_starts(info: object = None) -> None:
    from .environment import refresh

    refresh()
    STATE.forget_terminal()


def _cell_ended(result: object = None) -> None:
    STATE.forget_terminal()


def watching(debugger: Any, files: Iterable[str]) -> AbstractContextManager[object]:
    """While the returned context is open, a save of ``files`` answers ``continue``.

    The kernel polls its stdin socket for the front end's ``input_reply``;
    the watcher connects a socket of its own to the same endpoint and sends
    that reply, signed with the kernel's session.  A reply sent while no
    request is waiting is dropped by the kernel before its next request
    (it purges stale replies), so the poller just sends again at its next
    look, as ``watch.Poller`` does for every wake.
    """
    import contextlib
    import os

    from . import watch

    kernel = current()
    names = [f for f in files if f and os.path.exists(f)]
    endpoint = _stdin_endpoint(kernel)
    if kernel is None or not names:
        return contextlib.nullcontext()
    if endpoint is None:
        watch.unsupported("this kernel (its stdin channel has no endpoint to reply on)")
        return contextlib.nullcontext()
    sockets: list[Any] = []  # the watcher's own, made and used in its thread

    def wake() -> None:
        import zmq  # the kernel's own: already imported

        if not sockets:
            from .messages import say

            say(f"{', '.join(os.path.basename(f) for f in names)} saved: continuing")
            socket: Any = zmq.Context.instance().socket(zmq.DEALER)
            socket.linger = 0  # replies still unsent when the prompt is over are dropped
            socket.connect(endpoint)
            sockets.append(socket)
        kernel.session.send(
            sockets[0], "input_reply", {"value": watch.CONTINUE}, kernel.get_parent("shell")
        )

    @contextlib.contextmanager
    def armed() -> Any:
        poller = watch.Poller(names, wake).start()
        try:
            yield None
        finally:
            poller.stop()  # joined: the socket is ours to close now
            for socket in sockets:
                socket.close()

    return armed()


def _stdin_endpoint(kernel: Any) -> str | None:
    socket = getattr(kernel, "stdin_socket", None)
    try:
        import zmq

        value = socket.getsockopt(zmq.LAST_ENDPOINT) if socket is not None else None
    except Exception:
        return None
    if isinstance(value, bytes):
        value = value.decode()
    return value if isinstance(value, str) and value else None
