"""Process-wide settings the trampoline reads on every exception.

Kept apart from the public ``hot_restart`` module so that the hot path does
one attribute read instead of a module lookup, and so that nothing here
imports anything heavy.
"""

from __future__ import annotations

import os
import sys
from types import CodeType, FrameType, ModuleType

TYPE_CHECKING = False  # typing costs ~5 ms; this module loads with every hook
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from contextlib import AbstractContextManager
    from importlib.machinery import ModuleSpec
    from typing import Any, Literal, SupportsIndex

    StopOn = Literal["unhandled", "all"]
STOP_ON_VALUES: tuple[str, ...] = ("unhandled", "all")


class Options:
    """How one wrapped function (or a whole wrapped file) decides to stop.

    A plain class, not a dataclass: ``dataclasses`` imports ``inspect``, and
    this module is imported by every instrumented module.
    """

    __slots__ = ("propagate_keyboard_interrupt", "propagated", "stop_on")

    def __init__(
        self,
        propagated: tuple[type[BaseException], ...] = (),
        propagate_keyboard_interrupt: bool = True,
        stop_on: StopOn | None = None,  # None: the process default
    ) -> None:
        self.propagated = propagated
        self.propagate_keyboard_interrupt = propagate_keyboard_interrupt
        self.stop_on = stop_on


class State:
    def __init__(self) -> None:
        self.exiting = False  # hot_restart.exit() was called: never prompt again
        self.reraise_requested = False  # hot_restart.reraise() was called at a prompt
        self.stop_on: StopOn = "unhandled"  # install()'s default
        self.forced_stop_on: StopOn | None = None  # HOT_RESTART_STOP_ON wins over everything
        # Options set by the classic API, by (filename, qualname) and by filename.
        self.by_def: dict[tuple[str, str], Options] = {}
        self.by_file: dict[str, Options] = {}
        # (id(stdin), id(stdout), answer), published as one tuple: threads
        # crashing together must never see a new key with an old answer.
        self._tty: tuple[int, int, bool] = (0, 0, False)
        # The trampoline's cache of "a caller catches this" (exception types
        # by call site, see trampoline._site): it depends on the policy, so
        # it is emptied (in place) whenever settings change.
        self.fast_propagate: dict[int, tuple[type[BaseException], ...]] = {}
        # Set by a host that captures output (the pytest plugin): the real
        # terminal is usable, and this context manager hands it over.
        self._real_terminal = False
        # Other places a prompt can open (a notebook kernel's stdin channel,
        # an IDE's debug adapter, a controlling terminal, a remote session):
        # each registers one cheap callable saying "I could prompt now", and
        # calls forget_terminal() when its answer may change.
        self.prompt_places: list[Callable[[], bool]] = _Places(self)
        # What instrumented handlers catch (``except __hot_restart_catching__
        # or ()``): BaseException while a prompt is possible in this process,
        # else () (nothing is caught: exceptions unwind exactly as in plain
        # code).  Mirrored onto each object in ``handlers`` (the trampoline's
        # handle), and from there into each module namespace holding one
        # (see _publish), where the generated code reads it as a global.
        self.catching: tuple[()] | type[BaseException] = ()
        self.handlers: list[object] = []
        # A debugger was loaded (see _DEBUGGERS): handlers catch from then on.
        self._debugger = False
        # A prompt opened: handlers catch from then on, so that a restart
        # request unwinding to its frame is never let through uncaught.
        self.prompted = False
        # Watch-to-continue: saving the crashed function's file continues.
        self.watch = os.environ.get("HOT_RESTART_WATCH", "") not in ("", "0")
        self.around_prompt: Callable[[], AbstractContextManager[object]] | None = None
        # Set by a host that knows more about who handles an exception than
        # "is the catcher instrumented" (the pytest plugin: the test itself,
        # say in a pytest.raises block): true means do not stop for it.
        self.handled_by_host: Callable[[BaseException, FrameType], bool] | None = None

    def settings_changed(self) -> None:
        self.fast_propagate.clear()
        self.refresh_catching()

    @property
    def real_terminal(self) -> bool:
        return self._real_terminal

    @real_terminal.setter
    def real_terminal(self, value: bool) -> None:
        self._real_terminal = value
        self.refresh_catching()

    def prompt_possible(self) -> bool:
        """Whether a prompt could ever open in this process, as things stand.

        Wider than ``interactive()`` (a prompt now): the original streams
        count too, so that a ``redirect_stdout`` to a buffer, or a test
        runner's capture, which ends later, never costs a prompt after it.
        Stdin and stdout each from either pair: a program may restore one
        and not the other.  The answer can only change through
        ``forget_terminal()``, ``settings_changed()``, ``real_terminal`` or
        ``prompt_places``; a program that makes some other stream a terminal
        by itself calls ``forget_terminal()``.
        """
        if self.prompted or self._real_terminal or _force_prompt():
            return True
        if (_isatty(sys.stdin) or _isatty(sys.__stdin__)) and (
            _isatty(sys.stdout) or _isatty(sys.__stdout__)
        ):
            return True
        return any(_asks(place) for place in self.prompt_places)

    def refresh_catching(self) -> None:
        """Recompute ``catching`` and publish it to the handlers.

        Frames already inside a handler are not affected; a frame that
        started while nothing was caught has kept no entry arguments (see
        session.original_arguments, which says so rather than guess).
        """
        debugger = self._debugger or any(name in sys.modules for name in _DEBUGGERS)
        self._debugger = debugger
        possible = self.prompt_possible()
        catching: tuple[()] | type[BaseException] = BaseException if debugger or possible else ()
        previous, self.catching = self.catching, catching
        for handler in self.handlers:
            handler.catching = catching  # type: ignore[attr-defined]
            if catching == () and _DROPPED_BY_HANDLER:
                # No handler catches from now on, so none drops what a running
                # call recorded: forget it all.  Such a call, should it crash
                # once a prompt is possible again, says it has no record.
                from ..constants import ENTRY_STORE_ATTR

                getattr(handler, ENTRY_STORE_ATTR, {}).clear()
        if catching != previous:
            _publish(self.handlers, catching)
        # While no prompt is possible, pydevd's import may make one possible
        # (a client attaching): the cached "no" must be forgotten then, also
        # when a loaded bdb already makes the handlers catch.
        watch = catching == () or (not possible and "pydevd" not in sys.modules)
        bdb = sys.modules.get("bdb")
        if bdb is None:
            watch = True  # its import must be seen: see stepping
        elif self.handlers:
            from .stepping import hide_from

            hide_from(bdb)
        inspect = sys.modules.get("inspect")
        if inspect is None:
            watch = True  # its import must be seen: see closurevars
        elif self.handlers:
            from .closurevars import amend

            amend(inspect)
        _watch_imports(self, watch and bool(self.handlers))

    def options_for(self, code: CodeType, qualname: str) -> Options:
        filename = code.co_filename
        found = self.by_def.get((filename, qualname))
        if found is None:
            found = self.by_file.get(filename, _DEFAULT)
        return found

    def uses_classic_api(self, filename: str) -> bool:
        """Something in ``filename`` was wrapped with the 0.2.x API.

        Its crashes open the debugger as 0.2.x did, with the source around
        the crash listed.  Only asked once a crash prompts.
        """
        return filename in self.by_file or any(key[0] == filename for key in self.by_def)

    def interactive(self) -> bool:
        """A prompt is possible: stdin and stdout are terminals (or forced).

        Cached per pair of stream objects: isatty() is a system call and this
        runs on every exception that leaves instrumented code.
        """
        stdin, stdout = sys.stdin, sys.stdout
        key = (id(stdin), id(stdout))
        if self._real_terminal:
            return True
        cached = self._tty
        if cached[0] == key[0] and cached[1] == key[1]:
            return cached[2]
        answer = (
            _force_prompt()
            or (_isatty(stdin) and _isatty(stdout))
            or any(_asks(place) for place in self.prompt_places)
        )
        self._tty = (*key, answer)
        return answer

    def forget_terminal(self) -> None:
        """Ask again at the next exception (the environment changed)."""
        self._tty = (0, 0, False)
        self.refresh_catching()


class _Places(list):  # type: ignore[type-arg]
    """``prompt_places``: a list that refreshes ``catching`` when it changes,
    so that registering a place can never leave its prompts uncaught."""

    __slots__ = ("_state",)

    def __init__(self, state: State) -> None:
        super().__init__()
        self._state = state

    def _changed(self) -> None:
        self._state.forget_terminal()

    def append(self, place: Callable[[], bool]) -> None:
        super().append(place)
        self._changed()

    def extend(self, places: Iterable[Callable[[], bool]]) -> None:
        super().extend(places)
        self._changed()

    def insert(self, index: SupportsIndex, place: Callable[[], bool]) -> None:
        super().insert(index, place)
        self._changed()

    def remove(self, place: Callable[[], bool]) -> None:
        super().remove(place)
        self._changed()

    def pop(self, index: SupportsIndex = -1) -> Callable[[], bool]:
        place: Callable[[], bool] = super().pop(index)
        self._changed()
        return place

    def clear(self) -> None:
        super().clear()
        self._changed()

    def __iadd__(self, places: Iterable[Callable[[], bool]]) -> _Places:  # type: ignore[override,misc]
        super().__iadd__(places)
        self._changed()
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, value)
        self._changed()

    def __delitem__(self, index: Any) -> None:
        super().__delitem__(index)
        self._changed()


# 3.11+ records entry arguments only while handlers catch, and the handler
# drops them (transform._record_entry); 3.10 drops them in a ``finally``.
_DROPPED_BY_HANDLER = sys.version_info >= (3, 11)


def _publish(handlers: list[object], catching: tuple[()] | type[BaseException]) -> None:
    """Copy ``catching`` into each module namespace that holds one of ``handlers``.

    Instrumented code reads it as a global (transform.CATCHING_NAME), bound
    with the handler when the module starts (transform._bind_handler) or by
    trampoline.bind.  Only modules in ``sys.modules`` are found: a namespace
    of its own (``exec`` in a dict) keeps the value it was bound with.
    """
    from ..constants import CATCHING_NAME, HANDLER_NAME

    modules: list[object] = list(sys.modules.values())  # anything may sit there
    for module in modules:
        if not isinstance(module, ModuleType):
            continue
        # Past any __getattribute__ of a module subclass: importlib's lazy
        # modules would load on the plain attribute access.
        namespace: dict[str, object] = object.__getattribute__(module, "__dict__")
        found = namespace.get(HANDLER_NAME)
        if found is not None and any(found is handler for handler in handlers):
            namespace[CATCHING_NAME] = catching


# Debuggers that step through frames and read the line a finished frame
# ends on: bdb (pdb, ipdb, pudb, IPython's) compares it with an int when
# stepping over a line whose exception leaves the frame.  A frame whose
# exception was not caught (``catching`` is ()) ends on no line (None), so
# while one of these is loaded the handlers catch and re-raise, which ends
# the frame on its def line, as it always did.
_DEBUGGERS = ("bdb", "pydevd")


class _WatchedImports:
    """On ``sys.meta_path`` while an import must be noticed; it finds nothing itself.

    - A debugger (while no prompt is possible): ``breakpoint()`` imports
      pdb when it is first called, and the handlers must catch before its
      tracer can see a frame.  pydevd's import (``debugpy.listen()``) also
      forgets the cached "no prompt here" (``interactive()``): a client may
      attach, and the first exception after that must ask ``ide.attached``
      again, which also puts the listener on the client's messages (see
      ide.py).
    - bdb and inspect, until they are imported: each is amended as soon as
      it has run (``onload``; see stepping and closurevars).
    """

    __slots__ = ("_state",)

    def __init__(self, state: State) -> None:
        self._state = state

    def find_spec(self, name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if name in _DEBUGGERS:
            self._state._debugger = True
            if name == "pydevd":
                self._state.forget_terminal()
            else:
                self._state.refresh_catching()
                from .onload import spec_then
                from .stepping import hide_from

                return spec_then(name, path, target, hide_from)  # no stepping into our frames
        elif name == "inspect":
            from .closurevars import amend
            from .onload import spec_then

            return spec_then(name, path, target, amend)  # getclosurevars as for plain code
        return None


_watcher: _WatchedImports | None = None


def _watch_imports(state: State, on: bool) -> None:
    global _watcher
    if on and _watcher is None:
        _watcher = _WatchedImports(state)
        sys.meta_path.insert(0, _watcher)
    elif not on and _watcher is not None:
        watcher, _watcher = _watcher, None
        try:
            sys.meta_path.remove(watcher)
        except ValueError:
            pass  # the program rebuilt sys.meta_path meanwhile


def _asks(place: Callable[[], bool]) -> bool:
    """A registered place's answer; a place that fails cannot prompt."""
    try:
        return bool(place())
    except Exception:
        return False


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except Exception:
        return False


def _force_prompt() -> bool:
    return os.environ.get("HOT_RESTART_FORCE_PROMPT", "") not in ("", "0")


def stop_on_from_env() -> StopOn | None:
    value = os.environ.get("HOT_RESTART_STOP_ON", "").strip().lower()
    if value in STOP_ON_VALUES:
        return value  # type: ignore[return-value]
    return None


def _debug_client() -> bool:
    """A debugpy client (VS Code) is attached: the crash stops in the IDE (runtime/ide.py)."""
    if "pydevd" not in sys.modules:
        return False  # not under debugpy: nothing else to import or ask
    from .ide import attached

    return attached()


_DEFAULT = Options()
STATE = State()
STATE.prompt_places.append(_debug_client)
STATE.forced_stop_on = stop_on_from_env()
#: The environment as read above: ``environment.refresh`` applies what changed since.
ENVIRONMENT_READ = {
    name: os.environ.get(name) for name in ("HOT_RESTART_WATCH", "HOT_RESTART_STOP_ON")
}
if os.environ.get("HOT_RESTART_REMOTE"):  # remote attach: serve crashes over TCP
    from . import remote as _remote

    _remote.enable()


def set_stop_on(value: str | None) -> None:
    """Set install()'s default policy; HOT_RESTART_STOP_ON still wins."""
    if value is None:
        return
    if value not in STOP_ON_VALUES:
        raise ValueError(
            f"hot_restart: stop_on={value!r} is not a policy; use 'unhandled' or 'all'"
        )
    STATE.stop_on = value  # type: ignore[assignment]
    STATE.settings_changed()
