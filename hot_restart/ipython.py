"""The IPython extension: ``%load_ext hot_restart``, then ``%hot_restart myapp.*``.

Why this exists: in IPython and Jupyter the program is a session of cells,
not a script, so ``python -m hot_restart`` has nothing to run and calling
``hot_restart.install`` in a cell is easy to get subtly wrong (modules
imported before it stay plain).  The magic installs the same import hook,
says which modules it instruments, names the ones imported too early, and
instruments those in place on request::

    %load_ext hot_restart
    %hot_restart myapp.* helpers     install patterns (several allowed)
    %hot_restart                     list patterns and what is instrumented
    %hot_restart --wrap              instrument matching modules imported before
    %hot_restart --off [PATTERN...]  stop instrumenting (all patterns, or these)

It also keeps ``%autoreload`` from undoing the instrumentation: the code
autoreload swaps in before a cell is instrumented again
(``runtime.swapped``), by a ``pre_run_cell`` hook kept after autoreload's.

``import hot_restart`` stays lazy: IPython finds ``load_ipython_extension``
through the package's lazy attributes, and only then is this module (and
the hook) imported.  IPython itself is already loaded when this runs.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from . import hook
from .patterns import PatternSet

_USAGE = "usage: %hot_restart [PATTERN ...] [--wrap] | %hot_restart --off [PATTERN ...]"
_FLAGS = ("--wrap", "--off")
# What a module pattern can hold: dotted names and fnmatch wildcards.
_PATTERN = re.compile(r"[A-Za-z0-9_.*?\[\]!-]+")
_EVENT = "pre_run_cell"


def load_ipython_extension(ip: Any) -> None:
    """Called by ``%load_ext hot_restart``: register the magic and the autoreload hooks."""
    ip.register_magic_function(_magic, magic_kind="line", magic_name="hot_restart")
    if _before_cell not in ip.events.callbacks[_EVENT]:
        ip.events.register(_EVENT, _before_cell)
        ip.events.register("post_execute", _after_cell)
    _keep_last(ip)


def unload_ipython_extension(ip: Any) -> None:
    """Called by ``%unload_ext hot_restart``: the hooks go; the patterns stay installed."""
    for event, callback in ((_EVENT, _before_cell), ("post_execute", _after_cell)):
        if callback in ip.events.callbacks[event]:
            ip.events.unregister(event, callback)


def _before_cell(info: object = None) -> None:
    """After autoreload's pre-cell reload: instrument again what it swapped in."""
    _check()


def _after_cell() -> None:
    """Learn the functions this cell imported (before an edit and autoreload swap
    them), and stay behind an autoreload loaded by this cell."""
    _check()
    ip = _shell()
    if ip is not None:
        _keep_last(ip)


def _check() -> None:
    from .runtime import swapped

    try:
        swapped.check()
    except Exception as e:  # a failure here must never stop the user's cell
        print(f"hot_restart: could not follow %autoreload: {e!r}", file=sys.stderr)


def _keep_last(ip: Any) -> None:
    """Put our pre-cell hook after every other one (autoreload's included)."""
    callbacks = ip.events.callbacks[_EVENT]
    if _before_cell in callbacks and callbacks[-1] is not _before_cell:
        callbacks.remove(_before_cell)
        callbacks.append(_before_cell)


def _shell() -> Any:
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None else None


def _magic(line: str) -> None:
    """Instrument modules for hot_restart when they are imported.

    %hot_restart myapp.* helpers     instrument these modules when next imported
    %hot_restart                     list the patterns and what is instrumented
    %hot_restart --wrap              instrument matching modules already imported, in place
    %hot_restart --off [PATTERN...]  stop instrumenting future imports (all, or these)

    Patterns are fnmatch patterns over dotted module names; 'myapp.*' also
    covers myapp itself.
    """
    from IPython.core.error import UsageError

    try:
        flags, patterns = _parse(line)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if "--off" in flags:
        _off(patterns)
    elif patterns:
        hook._install(patterns, None, None, report=False)  # validated by _parse
        late = _imported_early(PatternSet(patterns))
        if late and "--wrap" in flags:
            _wrap(late)
        elif late:
            _warn_imported_early(late)
    elif "--wrap" in flags:
        installed = _installed()
        if not installed:
            raise UsageError(f"hot_restart: no patterns installed to wrap by; {_USAGE}")
        _wrap(_imported_early(PatternSet(installed)))
    else:
        _list()


def _parse(line: str) -> tuple[set[str], list[str]]:
    flags: set[str] = set()
    patterns: list[str] = []
    for word in line.replace(",", " ").split():
        word = word.strip("'\"")
        if not word:
            continue
        if word.startswith("-"):
            if word not in _FLAGS:
                raise ValueError(f"hot_restart: unknown option {word!r}; {_USAGE}")
            flags.add(word)
        elif word.endswith(".py") or "/" in word or "\\" in word:
            stem = word.removesuffix(".py").replace("\\", "/").strip("/").replace("/", ".")
            raise ValueError(
                f"hot_restart: {word!r} is a file; give module names, like {stem!r} or 'pkg.*'"
            )
        elif not _PATTERN.fullmatch(word) or ".." in word or word.startswith("."):
            raise ValueError(
                f"hot_restart: {word!r} is not a module pattern; use dotted module names "
                "with fnmatch wildcards, like 'myapp.*'"
            )
        else:
            patterns.append(word)
    if flags == set(_FLAGS):
        raise ValueError(f"hot_restart: --wrap and --off do not go together; {_USAGE}")
    return flags, patterns


def _installed() -> tuple[str, ...]:
    finder = hook._finder
    return finder.patterns.patterns if finder is not None else ()


def _instrumented() -> list[str]:
    from .patterns import is_own_module
    from .runtime import registry

    return sorted(n for n in registry.modules if n in sys.modules and not is_own_module(n))


def _imported_early(wanted: PatternSet) -> list[str]:
    """Matching modules imported before their pattern, and not wrapped since."""
    from .runtime import registry

    return [n for n in hook._already_imported(wanted) if n not in registry.modules]


def _warn_imported_early(names: list[str]) -> None:
    verb = "was" if len(names) == 1 else "were"
    print(
        f"hot_restart: {hook._listing(names)} {verb} imported before %hot_restart, so not "
        "instrumented; `%hot_restart --wrap` instruments "
        f"{'it' if len(names) == 1 else 'them'} in place",
        file=sys.stderr,
    )


def _wrap(names: list[str]) -> None:
    """Instrument already-imported modules in place, as the hook would have.

    The functions keep their identity (names imported with ``from m import
    f`` see the change) and get the hook's stop policy, not ``wrap``'s.
    """
    from .classic import _instrument
    from .runtime import registry
    from .runtime.walk import functions_of_namespace

    for name in names:
        module = sys.modules[name]
        filename = module.__file__
        assert isinstance(filename, str)  # hook._already_imported keeps only source modules
        registry.modules.add(name)
        for fn in functions_of_namespace(vars(module), name, filename):
            _instrument(fn, None, warn_level=0)
    if names:
        print(f"hot_restart: instrumented {hook._listing(names)}", file=sys.stderr)
    else:
        print("hot_restart: no module imported before its pattern is left plain", file=sys.stderr)


def _off(patterns: list[str]) -> None:
    if not patterns:
        hook.uninstall()
        print("hot_restart: no patterns; modules already instrumented stay so", file=sys.stderr)
        return
    finder = hook._finder
    unknown = [p for p in patterns if finder is None or p not in finder.patterns.patterns]
    if unknown:
        listed = ", ".join(_installed()) or "none"
        print(
            f"hot_restart: not installed: {', '.join(unknown)} (installed: {listed})",
            file=sys.stderr,
        )
    if finder is not None:
        hook.InstallHandle(finder, tuple(patterns)).uninstall()


def _list() -> None:
    installed = _installed()
    if not installed:
        print(
            "hot_restart: no patterns; `%hot_restart myapp.*` instruments myapp and its "
            "submodules when they are next imported"
        )
    else:
        print(f"patterns: {' '.join(installed)}")
    instrumented = _instrumented()
    print(f"instrumented: {hook._listing(instrumented) if instrumented else 'none yet'}")
    early = _imported_early(PatternSet(installed)) if installed else []
    if early:
        print(
            f"imported before %hot_restart, not instrumented: {hook._listing(early)} "
            "(`%hot_restart --wrap` instruments them)"
        )
