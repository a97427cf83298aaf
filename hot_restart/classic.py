"""The classic decorator API of the single-file hot_restart 0.2.x.

``wrap`` no longer puts a Python wrapper around the function: it swaps in
the same trampolined code the import hook produces, so the function keeps
its identity and a call costs what it did.  The source file is parsed and
instrumented once, however many functions of it are wrapped.
"""

from __future__ import annotations

import functools
import linecache
import sys
import threading
import warnings
from types import CodeType, FunctionType, ModuleType
from typing import Any, TypeVar

from .errors import ReloadException
from .runtime import cells, kernel, rebind, registry
from .runtime.state import STATE, Options
from .runtime.trampoline import bind
from .runtime.walk import (
    NO_WRAP_ATTR,
    functions_of_class,
    functions_of_namespace,
    underlying_functions,
)
from .transform import instrument_source, is_instrumented, iter_code

T = TypeVar("T")

_CLASSIC = Options(propagated=(StopIteration,), stop_on="all")
_restarting = threading.local()
_reload_context: dict[str, dict[str, Any]] = {}
_tables: dict[str, tuple[list[str], dict[tuple[str, int], CodeType]]] = {}


def _file_table(filename: str, lines: list[str]) -> dict[tuple[str, int], CodeType]:
    """Instrumented code of every def in the file, by (name, first line)."""
    cached = _tables.get(filename)
    if cached is not None and cached[0] is lines:
        return cached[1]
    module = instrument_source("".join(lines), filename)
    table = {(c.co_name, c.co_firstlineno): c for c in iter_code(module)}
    _tables[filename] = (lines, table)
    return table


def _instrument(fn: FunctionType, options: Options | None, warn_level: int) -> bool:
    kernel.activate()  # a notebook's input box can be the prompt
    code = fn.__code__
    qualname = getattr(code, "co_qualname", fn.__qualname__)
    if options is not None:
        STATE.by_def[(code.co_filename, qualname)] = options
        STATE.settings_changed()
    if is_instrumented(code):
        return True
    # ``<string>`` (python -c), ``<stdin>``, ``<python-input-0>`` (the REPL):
    # 3.13 keeps their source in linecache, but there is no file to edit and
    # reload from, so they count as having no source.
    pseudo = code.co_filename.startswith("<") and code.co_filename.endswith(">")
    label = cells.cell_label(code.co_filename)
    if label is not None:
        # A cell's lines are in linecache, but there is no file to reload from.
        if warn_level:
            warnings.warn(cells.cannot_wrap(qualname, label), RuntimeWarning, warn_level + 1)
        return False
    lines = [] if pseudo else linecache.getlines(code.co_filename, fn.__globals__)
    new: CodeType | None = None
    if lines:
        try:
            new = _file_table(code.co_filename, lines).get((code.co_name, code.co_firstlineno))
        except SyntaxError:
            new = None
    if new is None and lines:
        new = _from_edited_source(fn, qualname, lines)
    if new is None or new.co_freevars != code.co_freevars:
        if warn_level:
            warnings.warn(
                f"hot_restart: cannot wrap {qualname}: its source is not available "
                f"({code.co_filename}); it runs unwrapped",
                RuntimeWarning,
                stacklevel=warn_level + 1,
            )
        return False
    bind(fn.__globals__)
    rebind.swap(fn, new, everywhere=fn.__closure__ is not None)
    registry.note_origin(new, code)
    registry.note_wrapped(fn)
    if code.co_filename not in registry.stamps:
        registry.stamp(code.co_filename)
    return True


def _from_edited_source(fn: FunctionType, qualname: str, lines: list[str]) -> CodeType | None:
    """Instrumented code for ``fn`` when its file changed since it was compiled.

    A closure made by an enclosing function that still runs old code has
    line numbers the edited file no longer has; find its def by name instead.
    """
    from .runtime import surrogate

    code = fn.__code__
    try:
        built = surrogate.build(
            lines,
            code.co_filename,
            qualname,
            code.co_firstlineno,
            surrogate.future_flags(code),
            code.co_freevars,
            surrogate.shape(code),
        )
    except (ReloadException, SyntaxError):
        return None
    return built.code


def wrap(
    func: Any = None,
    *,
    propagated_exceptions: tuple[type[BaseException], ...] = (StopIteration,),
    propagate_keyboard_interrupt: bool = True,
) -> Any:
    """Make a function, method or class restartable after a crash.

    Works as ``@wrap`` and as ``@wrap(propagated_exceptions=(KeyError,))``;
    exceptions of the listed types never open the debugger.
    """
    if not isinstance(propagated_exceptions, tuple):
        raise TypeError(
            "hot_restart.wrap: propagated_exceptions must be a tuple of exception types, "
            f"not {type(propagated_exceptions).__name__}"
        )
    options = Options(
        propagated=propagated_exceptions,
        propagate_keyboard_interrupt=propagate_keyboard_interrupt,
        stop_on="all",
    )
    if func is None:
        return functools.partial(
            wrap,
            propagated_exceptions=propagated_exceptions,
            propagate_keyboard_interrupt=propagate_keyboard_interrupt,
        )
    if isinstance(func, type):
        return _wrap_class(func, options)
    if getattr(func, NO_WRAP_ATTR, False):
        return func
    found = False
    for fn in underlying_functions(func):
        found = True
        _instrument(fn, options, warn_level=2)
    if not found:
        warnings.warn(
            f"hot_restart: cannot wrap {func!r}: it is not a Python function or class",
            RuntimeWarning,
            stacklevel=2,
        )
    return func


def wrap_class(cls: type[T]) -> type[T]:
    """Make every method of ``cls`` (and of classes nested in it) restartable."""
    return _wrap_class(cls, _CLASSIC)


def _wrap_class(cls: type[T], options: Options) -> type[T]:
    filename = getattr(sys.modules.get(cls.__module__), "__file__", None)
    if filename is None:
        methods = [fn for v in vars(cls).values() for fn in underlying_functions(v)]
        filename = methods[0].__code__.co_filename if methods else ""
    if _in_cell(cls.__qualname__, filename, 3):
        return cls
    for fn in functions_of_class(cls, filename):
        _instrument(fn, options, warn_level=0)
    return cls


def _in_cell(name: str, filename: str, stacklevel: int) -> bool:
    """Code typed into an IPython cell: say once that it cannot be wrapped."""
    label = cells.cell_label(filename)
    if label is not None:
        warnings.warn(cells.cannot_wrap(name, label), RuntimeWarning, stacklevel + 1)
    return label is not None


def no_wrap(func_or_class: T) -> T:
    """Leave this function or class alone (also honoured by the import hook)."""
    if func_or_class is not None:
        setattr(func_or_class, NO_WRAP_ATTR, True)
    return func_or_class


ignore = no_wrap


def _module_namespace(module_or_name: Any, depth: int) -> tuple[str, dict[str, Any]]:
    if module_or_name is None:
        module_or_name = sys._getframe(depth + 1).f_globals["__name__"]
    if isinstance(module_or_name, str):
        name = module_or_name
        if name in _reload_context:
            return name, _reload_context[name]
        if name not in sys.modules:
            raise ValueError(f"hot_restart: no module named {name!r} is imported; import it first")
        return name, vars(sys.modules[name])
    if isinstance(module_or_name, ModuleType):
        name = module_or_name.__name__
        return name, _reload_context.get(name, vars(module_or_name))
    raise TypeError(f"hot_restart: expected a module or a module name, not {module_or_name!r}")


def wrap_module(module_or_name: ModuleType | str | None = None) -> None:
    """Make every function and class defined in a module restartable.

    Without an argument it wraps the calling module; call it after the
    definitions, typically at the bottom of the file.
    """
    name, namespace = _module_namespace(module_or_name, 1)
    filename = namespace.get("__file__")
    if not filename:
        code = sys._getframe(1).f_code if module_or_name is None else None
        filename = code.co_filename if code is not None else None
    if not filename:
        warnings.warn(
            f"hot_restart: cannot wrap module {name}: its source is not available",
            RuntimeWarning,
            stacklevel=2,
        )
        return
    if _in_cell(name, filename, 2):
        return
    STATE.by_file[filename] = _CLASSIC
    STATE.settings_changed()
    registry.modules.add(name)
    for fn in functions_of_namespace(namespace, name, filename):
        _instrument(fn, None, warn_level=0)


def wrap_modules(pattern: str) -> None:
    """Wrap every imported module whose dotted name matches an fnmatch pattern.

    Plain ``fnmatch``, as in 0.2.x: ``*`` also matches dots, and ``app.*.*``
    needs two more levels (``app.single`` does not match it).  install()'s
    patterns read ``pkg.*`` as "the package and everything under it"; a
    0.2.x program keeps the meaning it was written for.
    """
    if not isinstance(pattern, str):
        raise TypeError(
            f"hot_restart.wrap_modules: pattern must be a string like 'app.*', "
            f"not {type(pattern).__name__}"
        )
    from fnmatch import fnmatch

    for name, module in list(sys.modules.items()):
        if module is None or name == "hot_restart" or name.startswith("hot_restart."):
            continue
        if fnmatch(name, pattern) and getattr(module, "__file__", None):
            try:
                wrap_module(module)
            except Exception as e:  # one odd module must not stop the others
                warnings.warn(
                    f"hot_restart: could not wrap {name}: {e}", RuntimeWarning, stacklevel=2
                )


def is_restarting_module() -> bool:
    """True while reload_module() re-runs a module's top-level code."""
    return bool(getattr(_restarting, "value", False))


def reload_module(module_or_name: ModuleType | str | None = None) -> None:
    """Re-run a module's whole source in a copy of its namespace.

    Unlike the per-function reload, this runs module-level code again (guard
    your entry point with ``is_restarting_module()``), then copies the new
    names back into the live module.
    """
    name, namespace = _module_namespace(module_or_name, 1)
    filename = namespace.get("__file__")
    if not filename:
        raise ReloadException(f"cannot reload {name}: it has no source file")
    try:
        with open(filename, encoding="utf-8") as f:
            source = f.read()
    except OSError as e:
        raise ReloadException(f"cannot read {filename}: {e}") from None
    context = dict(namespace)
    instrumented = name in registry.modules
    code = (
        instrument_source(source, filename) if instrumented else compile(source, filename, "exec")
    )
    bind(context)
    _restarting.value = True
    _reload_context[name] = context
    try:
        exec(code, context)
    finally:
        _restarting.value = False
        del _reload_context[name]
    for key, new in context.items():
        old = namespace.get(key)
        if old is not None and old is not new:
            _note_successors(old, new, 0)
    namespace.update(context)
    from .runtime.trampoline import forget

    forget()  # exception classes the module defines were rebound


restart_module = reload_module


def _note_successors(old: Any, new: Any, depth: int) -> None:
    """Pair each function under ``old`` with its counterpart under ``new``.

    ``old`` and ``new`` are one module-level name before and after a
    reload_module() run: functions pair by qualified name, through
    decorators (``__wrapped__``, closure cells such as a decorator's
    ``func``), properties and class members.
    """
    if depth > 8 or old is new:
        return
    if isinstance(old, type) and isinstance(new, type):
        new_members = vars(new)
        for name, value in list(vars(old).items()):
            if name in new_members:
                _note_successors(value, new_members[name], depth + 1)
        return
    olds = list(underlying_functions(old))
    news = list(underlying_functions(new))
    for before in olds:
        after = next((f for f in news if f.__qualname__ == before.__qualname__), None)
        if after is None or after is before:
            continue
        news.remove(after)
        registry.successors[before] = after
        # A decorator's wrapper reaches the function it wraps through a cell.
        cells = zip(before.__code__.co_freevars, before.__closure__ or (), strict=False)
        new_cells = dict(zip(after.__code__.co_freevars, after.__closure__ or (), strict=False))
        for name, cell in cells:
            other = new_cells.get(name)
            try:
                value, new_value = cell.cell_contents, other.cell_contents if other else None
            except ValueError:
                continue
            if isinstance(value, (FunctionType, type)):
                _note_successors(value, new_value, depth + 1)


def exit() -> None:
    """Stop offering restarts: every later crash propagates as usual."""
    STATE.exiting = True


def reraise() -> None:
    """From the debugger prompt: let the current exception propagate on continue."""
    STATE.reraise_requested = True
