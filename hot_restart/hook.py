"""The import hook behind ``hot_restart.install``: opt modules in by name.

One finder serves every ``install`` call, so patterns from several places
(a ``conftest.py``, the program's ``main``) combine instead of stacking
finders that each stat the filesystem.  Importing this module and calling
``install`` must stay cheap: the runtime is imported only when the first
instrumented module is executed.
"""

from __future__ import annotations

import sys
from _frozen_importlib_external import PathFinder  # importlib.machinery.PathFinder
from _thread import allocate_lock

from .finder import HotRestartFinder, dependencies
from .patterns import PatternSet, is_own_module

TYPE_CHECKING = False  # mypy treats any TYPE_CHECKING as true; typing costs ~5 ms
if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import FrameType, TracebackType

STOP_ON_VALUES = ("unhandled", "all")
_STDLIB: frozenset[str] = getattr(sys, "stdlib_module_names", frozenset())
_MAX_LISTED = 10

_lock = allocate_lock()
_finder: HotRestartFinder | None = None


class InstallHandle:
    """Undoes one ``install`` call: removes the patterns that call added."""

    __slots__ = ("_finder", "patterns")

    def __init__(self, finder: HotRestartFinder, patterns: tuple[str, ...]) -> None:
        self._finder: HotRestartFinder | None = finder
        #: The patterns this call added (ones already installed are not its to remove).
        self.patterns = patterns

    def uninstall(self) -> None:
        """Stop instrumenting this call's patterns in future imports; idempotent.

        Modules already imported stay instrumented: their functions exist.
        """
        with _lock:
            finder, self._finder = self._finder, None
            # After a global uninstall() and a new install(), the patterns
            # belong to the new finder's owners, not to this handle.
            if finder is None or finder is not _finder:
                return
            finder.patterns.remove(self.patterns)
            if not finder.patterns:
                _drop_finder()
            elif (children := sys.modules.get("hot_restart.children")) is not None:
                children.passed_on(finder.patterns.patterns)

    def __enter__(self) -> InstallHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.uninstall()

    def __repr__(self) -> str:
        state = "active" if self._finder is not None else "uninstalled"
        return f"<InstallHandle {list(self.patterns)!r} {state}>"


def install(
    patterns: str | Iterable[str],
    *,
    stop_on: str | None = None,
    watch: bool | None = None,
    remote: str | int | None = None,
    children: bool = True,
) -> InstallHandle:
    """Instrument the modules matching ``patterns`` when they are next imported.

    ``patterns`` are fnmatch patterns over dotted module names (``'myapp.*'``
    also covers ``myapp``); a single string is one pattern.  Only plain
    source modules are instrumented, never hot_restart's own, and never a
    module imported before this call: those are named in a ``RuntimeWarning``
    (see ``hot_restart.wrap_modules``).  Calling again adds patterns to the
    same hook; the returned handle removes what its call added.

    The hook goes first on ``sys.meta_path`` so that no other finder takes
    the module, except that it goes after pytest's ``AssertionRewritingHook``:
    test modules keep pytest's assertion rewriting and are not instrumented.

    ``stop_on`` ('unhandled' or 'all') sets when the debugger stops by
    default; ``HOT_RESTART_STOP_ON`` in the environment takes precedence.
    ``watch=True`` (or ``HOT_RESTART_WATCH=1``): while pdb or ipdb waits at
    a crash, saving the crashed function's file continues without typing
    ``c`` (``watch=False`` turns it off even if the environment asks).
    ``remote='[HOST:]PORT'`` (or ``HOT_RESTART_REMOTE``): a crash is served
    for ``python -m hot_restart attach`` over TCP, for processes with no
    terminal (see ``hot_restart.runtime.remote``).

    ``children=True``: the Pythons this process starts (``spawn`` and
    ``forkserver`` workers, ``subprocess`` children) inherit the patterns and
    settings through the environment, and a worker with no terminal of its
    own prompts on the controlling terminal (see ``hot_restart.children``);
    ``children=False`` leaves the environment alone.
    """
    if remote is not None:
        from .runtime import remote as remote_attach

        remote_attach.parse(remote)  # a bad value raises before anything changes
    handle = _install(patterns, stop_on, watch, report=True, children=children)
    if remote is not None:
        remote_attach.enable(remote)
        if children:
            from . import children as _children

            _children.setting("HOT_RESTART_REMOTE", str(remote))  # workers serve theirs too
    return handle


def _install(
    patterns: str | Iterable[str],
    stop_on: str | None,
    watch: bool | None,
    *,
    report: bool,
    children: bool = True,
) -> InstallHandle:
    if stop_on is not None and stop_on not in STOP_ON_VALUES:
        raise ValueError(
            f"hot_restart: stop_on={stop_on!r} is not a policy; use 'unhandled' or 'all'"
        )
    wanted = PatternSet(patterns)  # validate everything before changing anything
    global _finder
    # Outside _lock: the stand-in holds its own lock while it calls install.
    deferred = _take_deferred()
    with _lock:
        if _finder is None:
            _finder = HotRestartFinder(PatternSet())
        finder = _finder
        finder.patterns.add(deferred)  # the environment's: not this call's to undo
        added = finder.patterns.add(wanted.patterns)
        if finder.patterns and not any(f is finder for f in sys.meta_path):
            sys.meta_path.insert(_insertion_index(), finder)
    from .runtime.kernel import activate

    activate()  # a notebook's input box can be the prompt
    if stop_on is not None:
        from .runtime.state import set_stop_on

        set_stop_on(stop_on)
    if watch is not None:
        from .runtime.state import STATE

        STATE.watch = watch
    if children:
        from . import children as _children

        _children.arm(finder.patterns.patterns)
    if report:
        _warn_already_imported(wanted)
    return InstallHandle(finder, added)


def uninstall() -> None:
    """Remove the hook and every pattern, whoever installed them."""
    _take_deferred()
    with _lock:
        _drop_finder()


def _take_deferred() -> tuple[str, ...]:
    """The patterns of the ``.pth`` activation's stand-in finder, now this hook's (see activate)."""
    activate = sys.modules.get("hot_restart.activate")
    return activate.take_pending() if activate is not None else ()


def _drop_finder() -> None:
    global _finder
    finder, _finder = _finder, None
    if finder is None:
        return
    finder.patterns.remove(finder.patterns.patterns)  # inert even if someone kept it
    children = sys.modules.get("hot_restart.children")
    if children is not None:
        children.disarm()
    while any(f is finder for f in sys.meta_path):
        sys.meta_path.remove(finder)


def _insertion_index() -> int:
    meta_path = sys.meta_path
    index = 0
    for i, f in enumerate(meta_path):
        if type(f).__name__ == "AssertionRewritingHook":
            index = i + 1
    # Never behind PathFinder, or we would never see a path-based import.
    for i, f in enumerate(meta_path):
        if f is PathFinder:
            return min(index, i)
    return index


def install_before_program(patterns: list[str], stop_on: str | None) -> None:
    """``install`` for the runner, which calls it before the program's first line.

    Whatever is imported by then was imported by python or by hot_restart,
    never by the program, so ``install``'s advice (install earlier) does not
    apply: a module named outright is reported on one plain line instead.
    """
    _install(patterns, stop_on, None, report=False)
    names = _already_imported(PatternSet(patterns))
    if names:
        verb = "is" if len(names) == 1 else "are"
        print(
            f"hot_restart: {_listing(names)} {verb} imported by python or by hot_restart before "
            "the program starts, so not instrumented",
            file=sys.stderr,
        )


def _listing(names: list[str]) -> str:
    listed = ", ".join(names[:_MAX_LISTED])
    if len(names) > _MAX_LISTED:
        listed += f" and {len(names) - _MAX_LISTED} more"
    return listed


def _warn_already_imported(wanted: PatternSet) -> None:
    names = _already_imported(wanted)
    if not names:
        return
    pattern = repr(wanted.patterns[0]) if len(wanted.patterns) == 1 else "pattern"
    import warnings

    warnings.warn(
        f"hot_restart: {_listing(names)} already imported before install(), so not instrumented; "
        f"call install() before importing them, or use hot_restart.wrap_modules({pattern})",
        RuntimeWarning,
        stacklevel=_stacklevel_outside_package(),
    )


def _already_imported(wanted: PatternSet) -> list[str]:
    """Matching source modules already imported, so left plain, worth naming."""
    named = PatternSet([p for p in wanted.patterns if not any(c in p for c in "*?[")])
    return sorted(
        name
        for name, module in list(sys.modules.items())
        if wanted.matches(name)
        and not is_own_module(name)
        and name not in dependencies
        and name != "__main__"  # already running: nothing to instrument
        and _left_plain(module)
        # What python and hot_restart imported at start-up (the standard
        # library, sitecustomize, private helpers of .pth files such as
        # _distutils_hack) is only worth a word when named outright (``-p
        # ast``), not for ``*``.
        and (not _started_with_python(name) or named.matches(name))
    )


def _started_with_python(name: str) -> bool:
    top = name.partition(".")[0]
    return top in _STDLIB or top in ("sitecustomize", "usercustomize") or top.startswith("_")


def _left_plain(module: object) -> bool:
    """A source module that the hook would have instrumented had it come first."""
    file = getattr(module, "__file__", None)
    if not isinstance(file, str) or not file.endswith((".py", ".pyw")):
        return False
    ours = sys.modules.get("hot_restart.loader")  # loaded at the first match (see finder)
    if ours is None:
        return True
    loader = getattr(getattr(module, "__spec__", None), "loader", None)
    return not isinstance(loader, ours.HotRestartLoader)


def _stacklevel_outside_package() -> int:
    """The stacklevel of the first caller outside hot_restart, seen from our caller.

    The warning must point at the user's ``install`` call, whether it came
    through ``hot_restart.install`` or straight from this module.
    """
    level = 1
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and is_own_module(frame.f_globals.get("__name__", "")):
        frame = frame.f_back
        level += 1
    return level
