"""Process-wide settings the trampoline reads on every exception.

Kept apart from the public ``hot_restart`` module so that the hot path does
one attribute read instead of a module lookup, and so that nothing here
imports anything heavy.
"""

from __future__ import annotations

import os
import sys
from types import CodeType, FrameType

TYPE_CHECKING = False  # typing costs ~5 ms; this module loads with every hook
if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager
    from typing import Literal

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
        # The trampoline's cache of "a caller catches this": it depends on the
        # policy, so it is emptied (in place) whenever settings change.
        self.fast_propagate: set[tuple[int, int, type[BaseException]]] = set()
        # Set by a host that captures output (the pytest plugin): the real
        # terminal is usable, and this context manager hands it over.
        self.real_terminal = False
        # Watch-to-continue: saving the crashed function's file continues.
        self.watch = os.environ.get("HOT_RESTART_WATCH", "") not in ("", "0")
        self.around_prompt: Callable[[], AbstractContextManager[object]] | None = None
        # Set by a host that knows more about who handles an exception than
        # "is the catcher instrumented" (the pytest plugin: the test itself,
        # say in a pytest.raises block): true means do not stop for it.
        self.handled_by_host: Callable[[BaseException, FrameType], bool] | None = None
        # Other places a prompt can open when stdin/stdout are no terminal
        # (the controlling terminal of a worker: runtime/tty.py); each is
        # cheap, and its module calls forget_terminal() when its answer may change.
        self.prompt_places: list[Callable[[], bool]] = []

    def settings_changed(self) -> None:
        self.fast_propagate.clear()

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
        if self.real_terminal:
            return True
        cached = self._tty
        if cached[0] == key[0] and cached[1] == key[1]:
            return cached[2]
        answer = (
            _force_prompt()
            or (_isatty(stdin) and _isatty(stdout))
            or any(place() for place in self.prompt_places)
        )
        self._tty = (*key, answer)
        return answer

    def forget_terminal(self) -> None:
        """Ask again at the next exception (the environment changed)."""
        self._tty = (0, 0, False)


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


_DEFAULT = Options()
STATE = State()
STATE.forced_stop_on = stop_on_from_env()


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
