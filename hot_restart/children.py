"""Children inherit hot_restart: spawn and forkserver workers, ``subprocess`` Pythons.

Why this exists: a fork worker is a copy of its instrumented parent, but a
``spawn`` or ``forkserver`` worker, or a Python the program runs with
``subprocess``, starts afresh: without this it ran plain, and a crash there
never reached a debugger.

How (as coverage.py measures subprocesses): ``install()`` and the runner
(``arm``) put the patterns and settings in the environment that every child
inherits (``HOT_RESTART_PATTERNS``, and ``HOT_RESTART_STOP_ON`` /
``HOT_RESTART_WATCH`` when set by ``install()``), the pid of the process
that armed them (``HOT_RESTART_PARENT``: a process with another pid is a
worker, which may prompt on the controlling terminal, see ``runtime/tty.py``)
and, first on ``PYTHONPATH``, a folder whose ``sitecustomize.py`` activates
hot_restart at start-up whether or not hot_restart's ``.pth`` file is
installed (then it only hands over to the ``sitecustomize`` it shadows).
``install(children=False)`` or ``HOT_RESTART_CHILDREN=0`` leaves the
environment alone; ``uninstall()`` puts it back as it was.

A spawn or forkserver worker runs the parent's main script again as
``__mp_main__`` (``multiprocessing.spawn._fixup_main_from_path``, through
``runpy``, which no import hook sees).  When the runner instrumented that
script (``HOT_RESTART_MAIN``), the worker runs it instrumented too, so the
functions the parent sends it by name crash into a debugger as well.
"""

from __future__ import annotations

import os
import sys

PATTERNS = "HOT_RESTART_PATTERNS"
PARENT = "HOT_RESTART_PARENT"
MAIN = "HOT_RESTART_MAIN"
OPT_OUT = "HOT_RESTART_CHILDREN"
BOOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_boot")

# The environment as it was before arm(), for disarm(): name -> value or None.
_saved: dict[str, str | None] = {}


def _set(name: str, value: str) -> None:
    if name not in _saved:
        _saved[name] = os.environ.get(name)
    os.environ[name] = value


def arm(patterns: tuple[str, ...]) -> None:
    """Pass ``patterns`` and this process's settings on to the Pythons it starts."""
    if os.environ.get(OPT_OUT, "").strip() == "0":
        return
    from .runtime.state import STATE

    parent = os.environ.get(PARENT)
    _set(PATTERNS, ",".join(patterns))
    if not parent:
        _set(PARENT, str(os.getpid()))
    if STATE.forced_stop_on is None and STATE.stop_on != "unhandled":
        _set("HOT_RESTART_STOP_ON", STATE.stop_on)
    if STATE.watch and not os.environ.get("HOT_RESTART_WATCH"):
        _set("HOT_RESTART_WATCH", "1")
    path = os.environ.get("PYTHONPATH", "")
    if BOOT not in path.split(os.pathsep):
        _set("PYTHONPATH", BOOT + (os.pathsep + path if path else ""))
    if place not in STATE.prompt_places:
        STATE.prompt_places.append(place)
        STATE.forget_terminal()
        if hasattr(os, "register_at_fork"):  # a fork is a worker: ask "can it prompt" again
            os.register_at_fork(after_in_child=STATE.forget_terminal)
    if parent and parent != str(os.getpid()):
        _instrument_spawned_main()


def place() -> bool:
    """A worker of an instrumented parent may prompt on the controlling terminal.

    The cheap test first: ``runtime/tty.py`` (and ``threading``) is imported
    only in a worker, at its first exception with no terminal of its own.
    """
    parent = os.environ.get(PARENT)
    if not parent or parent == str(os.getpid()):
        return False
    from .runtime import tty

    return tty.place()


def passed_on(patterns: tuple[str, ...]) -> None:
    """The patterns children get now (a handle removed some)."""
    if PATTERNS in _saved:  # armed
        os.environ[PATTERNS] = ",".join(patterns)


def setting(name: str, value: str) -> None:
    """Pass one more setting (``install(remote=...)``) on, once armed."""
    if PATTERNS in _saved:  # armed
        _set(name, value)


def main_script(path: str) -> None:
    """The runner instruments ``path``: so do spawn and forkserver workers re-running it."""
    if PATTERNS in _saved:  # armed
        _set(MAIN, path)


def disarm() -> None:
    """Put the environment back as it was before ``arm``."""
    for name, value in _saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _saved.clear()


def _instrument_spawned_main() -> None:
    """In a spawn/forkserver worker of the runner: run its main script instrumented."""
    main = os.environ.get(MAIN)
    argv = getattr(sys, "orig_argv", [])
    program = argv[argv.index("-c") + 1] if "-c" in argv[:-1] else ""
    if not main or "multiprocessing" not in program:
        return
    import multiprocessing.spawn as spawn

    plain = spawn._fixup_main_from_path  # type: ignore[attr-defined]
    if getattr(plain, "__module__", None) == __name__:
        return  # patched by an earlier install() in this process

    def _fixup_main_from_path(main_path: str) -> None:
        if os.path.abspath(main_path) != main:
            return plain(main_path)  # type: ignore[no-any-return]
        _run_main_instrumented(spawn, main_path)
        return None

    spawn._fixup_main_from_path = _fixup_main_from_path  # type: ignore[attr-defined]


def _run_main_instrumented(spawn: object, main_path: str) -> None:
    """What ``_fixup_main_from_path`` does, with the runner's instrumented code."""
    import builtins
    from importlib.machinery import SourceFileLoader
    from types import ModuleType

    from .runtime import registry
    from .transform import instrument_source

    current = sys.modules["__main__"]
    if getattr(current, "__file__", None) == main_path:
        return  # a fork of a process that ran it already
    with open(main_path, "rb") as f:
        source = f.read()
    code = instrument_source(source, main_path, bind_handler=True)
    getattr(spawn, "old_main_modules").append(current)  # noqa: B009
    module = ModuleType("__mp_main__")
    module.__dict__.update(
        __file__=main_path,
        __builtins__=builtins,
        __cached__=None,
        __loader__=SourceFileLoader("__mp_main__", main_path),
        __package__="",
        __spec__=None,
    )
    registry.stamp(main_path)
    sys.modules["__main__"] = sys.modules["__mp_main__"] = module
    exec(code, module.__dict__)
