"""The controlling terminal: where a worker with no terminal of its own prompts.

Why this exists: a ``multiprocessing`` pool worker, a ``concurrent.futures``
worker, a pytest-xdist worker or a ``subprocess`` child has its stdin on
``/dev/null`` or a pipe, so it could never prompt, and the crash reached the
parent with the worker's stack gone.  Such a process usually still has the
user's terminal as its controlling terminal, ``/dev/tty``: the debugger
opens there, in the process that crashed, with its stack alive.

When it applies (``place``, one of ``STATE.prompt_places``): the process
inherited hot_restart from an instrumented parent (``HOT_RESTART_PARENT``
holds the pid of the process that armed its children, see
``hot_restart.children``, and this is another process), or it is a
pytest-xdist worker of a ``--hot-restart`` run (``enable``); and its own
stdin and stdout are not both terminals; and ``/dev/tty`` opens.  A program
the user started with its stdin redirected (``python -m hot_restart
script.py < input.txt``) is none of these: its input was redirected on
purpose, and it prompts no more than it did.

One prompt at a time across the process tree (``turn``): an exclusive
``flock`` on a lock file named for the user and the process group, taken
by every process of an instrumented tree before it prompts (the parent
included), so two workers crashing together prompt one after the other and
never read each other's input.  The kernel drops the lock when its holder
dies; a forked child closes its inherited copy at once (``os.register_at_fork``),
so a lock never outlives the process that took it.  While it holds the
terminal (``on_terminal``), the process's ``sys.stdin``, ``sys.stdout`` and
``sys.stderr`` are the terminal: the banner, the messages and pdb or ipdb
(which read ``sys.stdin`` and write ``sys.stdout``, ipdb's prompt_toolkit
included) all use it, with nothing to change in the debuggers.  Banners
name the process (``label``: pid and multiprocessing name, or the xdist
worker) in a worker, and in a parent that uses ``multiprocessing``.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ..children import PARENT

_lock = threading.RLock()
_depth = 0  # nesting of on_terminal() in this process (the pytest plugin nests it)
_held_fd = -1  # the lock file while this process holds the terminal
_turn_depth = 0
_enabled_here = False  # a host said so (the pytest plugin in an xdist worker)
# (pid, answer) for "/dev/tty opens": a fork child asks again.
_available: tuple[int, bool] = (0, False)
_label = ""  # the process's name in banners, when enabled by a host


def enable(label: str = "") -> None:
    """Prompt on the controlling terminal in this process (a host knows it is a worker)."""
    global _enabled_here, _label
    _enabled_here = True
    _label = label
    _register()


def _register() -> None:
    from .state import STATE

    if place not in STATE.prompt_places:
        STATE.prompt_places.append(place)
        STATE.forget_terminal()


def in_tree() -> bool:
    """This process is part of an instrumented process tree (root or worker)."""
    return _enabled_here or bool(os.environ.get(PARENT))


def inherited() -> bool:
    """hot_restart came from an instrumented parent (or a host made this a worker)."""
    if _enabled_here:
        return True
    parent = os.environ.get(PARENT, "")
    return bool(parent) and parent != str(os.getpid())


def place() -> bool:
    """A prompt is possible on the controlling terminal (see the module docstring)."""
    return inherited() and not _own_terminal() and available()


def _own_terminal() -> bool:
    try:
        return bool(sys.stdin.isatty() and sys.stdout.isatty())
    except Exception:
        return False


def available() -> bool:
    """``/dev/tty`` opens (asked once per process)."""
    global _available
    pid = os.getpid()
    if _available[0] != pid:
        try:
            fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
        except OSError:
            answer = False
        else:
            os.close(fd)
            answer = True
        _available = (pid, answer)
    return _available[1]


def label() -> str:
    """`` [pid 123 ForkPoolWorker-1]`` for banners where processes share the terminal.

    That is in a worker, or in a parent that uses ``multiprocessing``; a
    program on its own keeps the plain banner.
    """
    if not in_tree() or not (inherited() or "multiprocessing" in sys.modules):
        return ""
    name = _label
    if not name:
        mp = sys.modules.get("multiprocessing")
        current = getattr(mp, "current_process", None)
        name = current().name if current is not None else ""
        if not name or name == "MainProcess":
            name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"
    return f" [pid {os.getpid()} {name}]"


def _lock_path() -> str:
    """Per user and process group: a program's workers share its group, and
    another program started from the same shell (a job of its own) does not
    wait behind this one, even one left stopped at a prompt."""
    folder = os.environ.get("TMPDIR") or "/tmp"
    return os.path.join(folder, f"hot_restart-{os.getuid()}-{os.getpgrp()}.lock")


@contextmanager
def turn() -> Iterator[None]:
    """Wait for this process's turn at the terminal (a no-op outside a process tree)."""
    global _held_fd, _turn_depth
    if not in_tree() or not hasattr(os, "getpgrp"):
        yield
        return
    with _lock:
        if _turn_depth:
            _turn_depth += 1
            try:
                yield
            finally:
                _turn_depth -= 1
            return
        path = _lock_path()
        fd = _acquire(path)
        if fd is None:
            yield  # no lock file: prompt anyway rather than never
            return
        try:
            _held_fd, _turn_depth = fd, 1
            yield
        finally:
            _held_fd, _turn_depth = -1, 0
            _release(fd, path)


def _acquire(path: str) -> int | None:
    """The locked file descriptor of ``path``, once it is this process's turn.

    The holder removes the file when its turn ends (no lock file is left
    behind, but for a holder that was killed), so a waiter that wakes up on
    a removed file tries again with the one now at ``path``.
    """
    try:
        import fcntl
    except ImportError:
        return None
    for _ in range(1000):  # each retry means another process had its turn meanwhile
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except OSError:
            pass  # removed by the holder before we looked: try the new one
        os.close(fd)
    return None


def _release(fd: int, path: str) -> None:
    """Remove the file, then unlock: a waiter then finds it gone and takes a new one."""
    import fcntl

    try:
        if os.stat(path).st_ino == os.fstat(fd).st_ino:
            os.unlink(path)
    except OSError:
        pass
    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _after_fork_in_child() -> None:
    """A forked child holds no turn: close its copy of the lock (else it would outlive us)."""
    global _held_fd, _turn_depth, _depth
    fd, _held_fd, _turn_depth, _depth = _held_fd, -1, 0, 0
    if fd >= 0:
        try:
            os.close(fd)  # closing, not unlocking: the parent's lock stays the parent's
        except OSError:
            pass
    from .state import STATE

    STATE.forget_terminal()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


@contextmanager
def on_terminal() -> Iterator[None]:
    """``sys.stdin``, ``sys.stdout`` and ``sys.stderr`` on ``/dev/tty`` meanwhile, where
    this process prompts there (``place``); else its own streams, unchanged."""
    global _depth
    if _depth or not place():
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1
        return
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        tty_in = open("/dev/tty", encoding=encoding, errors="replace")
        tty_out = open("/dev/tty", "w", encoding=encoding, errors="replace", buffering=1)
    except OSError:
        yield
        return
    saved = sys.stdin, sys.stdout, sys.stderr
    for stream in saved[1:]:
        try:
            stream.flush()
        except Exception:
            pass
    sys.stdin, sys.stdout, sys.stderr = tty_in, tty_out, tty_out
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        sys.stdin, sys.stdout, sys.stderr = saved
        for stream in (tty_out, tty_in):
            try:
                stream.close()
            except Exception:
                pass
