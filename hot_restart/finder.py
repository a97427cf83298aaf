"""The meta-path finder that hands opted-in source modules to our loader.

It sees every import in the process, so a name that matches no pattern is
turned away after one regex match, without touching the filesystem.  For a
match it asks the ordinary ``PathFinder`` and takes over only plain source
files: extension, sourceless, namespace, zip and frozen modules keep their
usual loader.  It holds no lock while searching, so imports from other
threads or from inside an import (reentrancy) cannot deadlock on it.
"""

from __future__ import annotations

from importlib.machinery import FrozenImporter, ModuleSpec, PathFinder, SourceFileLoader

from .loader import HotRestartLoader
from .patterns import PatternSet

TYPE_CHECKING = False  # typing and collections.abc cost start-up time
if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import ModuleType


def is_own_module(fullname: str) -> bool:
    """hot_restart's own modules: instrumenting the runtime would recurse into it."""
    return fullname == "hot_restart" or fullname.startswith("hot_restart.")


class HotRestartFinder:
    """Instruments the source modules whose dotted names match ``patterns``."""

    def __init__(self, patterns: PatternSet) -> None:
        self.patterns = patterns

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if not self.patterns.matches(fullname) or is_own_module(fullname):
            return None
        # We sit ahead of FrozenImporter, and 3.11+ ships the source of its
        # frozen stdlib modules too: that source must not replace them.
        if FrozenImporter.find_spec(fullname) is not None:
            return None
        spec = PathFinder.find_spec(fullname, path, target)
        if spec is None or type(spec.loader) is not SourceFileLoader or spec.origin is None:
            return None
        # Same spec, other loader: __path__, __cached__ and friends stay as usual.
        spec.loader = HotRestartLoader(fullname, spec.origin)
        return spec

    def __repr__(self) -> str:
        return f"HotRestartFinder({list(self.patterns.patterns)!r})"
