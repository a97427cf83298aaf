"""The meta-path finder that hands opted-in source modules to our loader.

It sees every import in the process, so a name that matches no pattern is
turned away after one regex match, without touching the filesystem.  For a
match it asks the ordinary ``PathFinder`` and takes over only plain source
files: extension, sourceless, namespace, zip and frozen modules keep their
usual loader.  It holds no lock while searching, so imports from other
threads or from inside an import (reentrancy) cannot deadlock on it.
"""

from __future__ import annotations

import sys

# importlib.machinery's classes, without importing the importlib package.
from _frozen_importlib import FrozenImporter, ModuleSpec
from _frozen_importlib_external import PathFinder, SourceFileLoader

from .patterns import PatternSet, is_own_module

TYPE_CHECKING = False  # typing and collections.abc cost start-up time
if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType, ModuleType


#: Modules that hot_restart itself imported (``symtable`` for the transform,
#: ``pdb`` at the first crash), and those that they in turn imported: never
#: instrumented, whatever the patterns say (``-p '*'``, ``-p weakref``).
#: Instrumenting what the loader needs while it instruments is a circular
#: import; instrumenting the debugger would stop inside it.
dependencies: set[str] = set()


def is_importlib_frame(frame: FrameType) -> bool:
    name = frame.f_globals.get("__name__", "")
    return (
        frame.f_code.co_filename.startswith("<frozen importlib")
        or name == "importlib"
        or name.startswith("importlib.")
    )


def imported_by_us(depth: int) -> bool:
    """Whether the import in progress comes from hot_restart or one of its dependencies.

    The walk goes out from the import ``depth`` frames above our caller,
    across the import system's frames and across the bodies of modules that
    are themselves being imported (``symtable`` importing ``weakref`` for the
    transform), to the code that started it all: its module decides.  A
    script run by the runner has the runner below it, but is not imported:
    its own imports are the program's.  Only names that match a pattern get
    here, so other imports never pay for the walk.
    """
    frame: FrameType | None = sys._getframe(depth + 1)
    while frame is not None:
        if is_importlib_frame(frame):
            frame = frame.f_back
            continue
        name = frame.f_globals.get("__name__", "")
        if not isinstance(name, str):
            return False
        if is_own_module(name) or name in dependencies:
            return True
        back = frame.f_back
        if frame.f_code.co_name != "<module>" or back is None or not is_importlib_frame(back):
            return False
        frame = back  # a module body run by an import: who imported it?
    return False


class HotRestartFinder:
    """Instruments the source modules whose dotted names match ``patterns``."""

    def __init__(self, patterns: PatternSet) -> None:
        self.patterns = patterns
        self._matches = patterns.matches
        self._stdlib_for: tuple[str, ...] | None = None
        self._reaches_stdlib = False

    def reaches_stdlib(self) -> bool:
        """Whether the patterns match a standard-library name (where our own dependencies are)."""
        patterns = self.patterns.patterns
        if patterns != self._stdlib_for:
            names: frozenset[str] = getattr(sys, "stdlib_module_names", frozenset())
            # stdlib_module_names are top-level names: 'importlib.util' reaches 'importlib'.
            heads = {p.split(".")[0] for p in patterns}
            wild = [h for h in heads if any(c in h for c in "*?[")]
            self._reaches_stdlib = any(h in names for h in heads) or (
                bool(wild) and any(PatternSet(wild).matches(n) for n in names)
            )
            self._stdlib_for = patterns
        return self._reaches_stdlib

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        # Every import in the process gets here: one call, then C checks.
        if not self._matches(fullname) or is_own_module(fullname):
            return None
        return self.matching_spec(fullname, path, target)

    def matching_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None
    ) -> ModuleSpec | None:
        """``find_spec`` for a name that matches, called by a ``find_spec`` (ours or
        activate's stand-in) straight from the import system."""
        if fullname in dependencies or imported_by_us(2):
            dependencies.add(fullname)
            return None
        # We sit ahead of FrozenImporter, and 3.11+ ships the source of its
        # frozen stdlib modules too: that source must not replace them.
        if FrozenImporter.find_spec(fullname) is not None:
            return None
        spec = PathFinder.find_spec(fullname, path, target)
        if spec is None or type(spec.loader) is not SourceFileLoader or spec.origin is None:
            return None
        # Imported at the first match: until then, its objects would only add
        # to what every collection of the cyclic GC scans.
        from .loader import HotRestartLoader

        # Same spec, other loader: __path__, __cached__ and friends stay as usual.
        loader = HotRestartLoader(fullname, spec.origin)
        if self.reaches_stdlib():
            loader.hide_imports = True
        spec.loader = loader
        return spec

    def __repr__(self) -> str:
        return f"HotRestartFinder({list(self.patterns.patterns)!r})"
