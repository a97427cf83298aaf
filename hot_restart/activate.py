"""Imported by the ``.pth`` line (or a ``sitecustomize.py``) when
``HOT_RESTART_PATTERNS`` is set: install the hook before the program runs.

Every python start pays for what this imports, so it imports only
``patterns`` (to check the value and to match names) and puts a stand-in
finder in place: ``hook.install`` and the modules it needs are imported at
the first import of a matching module, which the stand-in then hands over
to the real finder.  A program that never imports one pays for nothing
more, and the tools that look at ``sys.modules`` at start-up (pytest) see
little of hot_restart.  Should a matching module be imported already (by
``site`` or another ``.pth`` file), the hook is installed at once, so that
``install`` names it as it always has.

A bad value must never stop the interpreter from starting, so it is
reported on one line and ignored.
"""

from __future__ import annotations

import os
import sys
from _thread import RLock

from .patterns import PatternSet, is_own_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType


class DeferredFinder:
    """Stands for the hook until the first import that matches its patterns."""

    def __init__(self, patterns: PatternSet) -> None:
        self.patterns = patterns
        self._matches = patterns.matches
        self._installing = False

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        # Every import in the process gets here: one call, then C checks.
        if not self._matches(fullname) or is_own_module(fullname):
            return None
        with _lock:  # reentrant: installing imports modules, through here too
            if self._installing:
                return None  # the hook's own imports, while it is being installed
            if _pending is self:
                self._installing = True
                try:
                    _install(self.patterns.patterns)
                finally:
                    self._installing = False
        # Whoever installed it (this thread or another): the hook takes it from here.
        from . import hook

        finder = hook._finder
        return None if finder is None else finder.matching_spec(fullname, path, target)

    def __repr__(self) -> str:
        return f"DeferredFinder({list(self.patterns.patterns)!r})"


_lock = RLock()
_pending: DeferredFinder | None = None


def take_pending() -> tuple[str, ...]:
    """Remove the stand-in; its patterns, for the hook to serve (``hook.install``)."""
    global _pending
    with _lock:
        pending, _pending = _pending, None
        if pending is None:
            return ()
        while pending in sys.meta_path:
            sys.meta_path.remove(pending)
        return pending.patterns.patterns


def _install(patterns: Sequence[str]) -> None:
    try:
        from .hook import install

        install(patterns)
    except ValueError as e:
        print(f"{e} (from HOT_RESTART_PATTERNS; hot_restart is not active)", file=sys.stderr)


def activate_from_environment() -> None:
    global _pending
    value = os.environ.get("HOT_RESTART_PATTERNS", "")
    if not value:
        return  # unset or empty: off, as the .pth line has it
    patterns = [p.strip() for p in value.split(",") if p.strip()]
    if not patterns:
        # Set, yet naming nothing (' ', ','): say so rather than do nothing silently.
        print(
            f"hot_restart: HOT_RESTART_PATTERNS={value!r} names no pattern; "
            "give comma-separated patterns like 'myapp.*' (hot_restart is not active)",
            file=sys.stderr,
        )
        return
    try:
        wanted = PatternSet(patterns)
    except ValueError as e:
        print(f"{e} (from HOT_RESTART_PATTERNS; hot_restart is not active)", file=sys.stderr)
        return
    started = [
        n for n in list(sys.modules) if n.partition(".")[0] not in ("hot_restart", "__main__")
    ]
    if any(wanted.matches(name) for name in started) or os.environ.get("HOT_RESTART_MAIN"):
        # Also at once in a child of the runner (children.py): a spawn or
        # forkserver worker re-runs the main script before importing anything
        # that matches, and install() is what makes that run instrumented.
        _install(patterns)
        return
    with _lock:
        if _pending is None:
            _pending = DeferredFinder(wanted)
            sys.meta_path.insert(0, _pending)


activate_from_environment()
