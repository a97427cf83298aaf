"""Amend a standard-library module as soon as its import has run it.

Why this exists: hot_restart amends two modules that a program imports when
it likes, often after the hook is installed: bdb (``stepping.hide_from``,
so that pdb's ``step`` never stops in hot_restart's frames) and inspect
(``closurevars.amend``, so that ``getclosurevars`` answers for instrumented
code as for the plain code).  Amending at the first exception or the next
refresh would be too late: a debugger steps, and a program inspects, before
either.  So the watcher on ``sys.meta_path`` (``state._WatchedImports``)
answers for such a module with the spec the path finder gives, whose loader
runs the module and then the amendment, before the import returns.

The module gets its own loader back before it runs: ``__loader__`` and
``__spec__.loader`` are what they are under plain Python.  A frozen module,
or one no path entry serves, is left to the import system (None): the
amendment then happens at the next refresh (``state.refresh_catching``).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec


class _AmendAfterLoading:
    """The module's own loader, which the module gets back before it runs; then ``amend``."""

    def __init__(self, loader: object, amend: Callable[[ModuleType], None]) -> None:
        self._loader = loader
        self._amend = amend

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)  # type: ignore[attr-defined,no-any-return]

    def exec_module(self, module: ModuleType) -> None:
        loader = self._loader
        module.__loader__ = loader  # type: ignore[assignment]
        if module.__spec__ is not None:
            module.__spec__.loader = loader  # type: ignore[assignment]
        loader.exec_module(module)  # type: ignore[attr-defined]
        self._amend(module)


def spec_then(
    name: str, path: object, target: object, amend: Callable[[ModuleType], None]
) -> ModuleSpec | None:
    """``name``'s spec, with a loader that runs ``amend`` on the module once it
    has run (None: let the import system find it, unamended, as usual)."""
    from _frozen_importlib import FrozenImporter
    from _frozen_importlib_external import PathFinder

    if FrozenImporter.find_spec(name) is not None:
        return None
    spec = PathFinder.find_spec(name, path, target)  # type: ignore[arg-type]
    if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
        return None
    spec.loader = _AmendAfterLoading(spec.loader, amend)  # type: ignore[assignment]
    return spec
