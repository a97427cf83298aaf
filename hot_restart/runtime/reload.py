"""Reload one function (or every edited definition) from the files on disk.

Each reload is prepared before anything is swapped: the new code is
compiled, its new defaults evaluated and what cannot apply refused, so a
refused edit leaves every running version as it was.  Defaults whose source
text did not change keep their objects (``def tally(word, counts={})`` keeps
its counts across a fix) and are not evaluated again; a default whose text
changed is.  On ``c``, ``reload_changed`` does this for every definition
edited since it was loaded (``changes`` tells which), then for the crashed
function.
"""

from __future__ import annotations

import ast
import linecache
import os
import sys
from dataclasses import dataclass, field
from time import time_ns
from types import CodeType, FrameType, FunctionType
from typing import Any

from ..errors import ReloadException
from ..transform import code_qualname, instrument_tree, is_instrumented, iter_code, mangle
from . import cells, changes, classes, locate, rebind, registry, shift, shipped, surrogate
from .locate import find_block, find_blocks, parse_block, scope_path
from .walk import underlying_functions

TYPE_CHECKING = False
if TYPE_CHECKING:
    from . import callsite


def read_lines(filename: str) -> list[str]:
    """The file as it is now, decoded exactly as ``importlib`` decodes it.

    The coding cookie or a UTF-8 BOM decides the encoding (a latin-1 file is
    not UTF-8), and lines are split only at newlines, as the compiler counts
    them.  The debugger's line cache gets the same lines, with the file's
    byte size, so that ``linecache.checkcache`` keeps them.
    """
    # importlib.util's decode_source, from where it takes it (see locate.decode).
    from _frozen_importlib_external import decode_source

    # An IPython cell's "file" never existed (or is a debugger's dump of the
    # cell, which editing the cell does not change): nothing to reload from.
    label = cells.cell_label(filename)
    if label is not None:
        raise ReloadException(cells.cannot_reload(label))
    try:
        with open(filename, "rb") as f:
            st = os.fstat(f.fileno())
            data = f.read()
        text = decode_source(data)
    except FileNotFoundError:
        raise ReloadException(
            f"{filename} no longer exists; restore it, or `q` to let the exception propagate"
        ) from None
    except (OSError, SyntaxError, UnicodeDecodeError, LookupError) as e:
        raise ReloadException(
            f"cannot read {filename} ({e.__class__.__name__}: {e}); fix it and continue again"
        ) from None
    lines = split_lines(text)
    linecache.cache[filename] = (st.st_size, st.st_mtime, lines, filename)
    return lines


# The text a file's code was loaded from, split as the compiler counts lines:
# locate owns both, since deciding whether a frame catches reads them too.
split_lines = locate.split_lines
loaded_lines = locate.loaded_lines


@dataclass
class Prepared:
    """A compiled reload of one function, not applied yet."""

    fn: FunctionType
    built: surrogate.Surrogate
    cls: type | None
    lines: list[str]
    key: changes.DefKey | None
    text: str
    defaults: dict[str, Any] = field(default_factory=dict)
    #: The new def, evaluated alone: where the new annotations come from.
    fresh: FunctionType | None = None
    #: Functions made earlier from its nested defs, with their new code.
    made_earlier: list[tuple[list[FunctionType], CodeType]] = field(default_factory=list)

    def apply(self) -> None:
        fn, built = self.fn, self.built
        old = fn.__code__
        # (Read through vars(): mypy takes a function-typed field for a method.)
        fresh: FunctionType | None = vars(self)["fresh"]
        rebind.swap(fn, built.code, doc=built.doc, annotations_from=fresh, **self.defaults)
        for made, code in self.made_earlier:
            rebind.swap_all(made, code)
        if built.nested:
            # Closures the enclosing function makes from now on get the new
            # code: it holds the running version, or (for a function wrap()
            # swapped code into) the original that wrap() replaced.
            originals = [old, *registry.origins_of(old)]
            root = _enclosing_root(fn, qualname_of(fn), originals)
            if root is not None:
                for original in originals:
                    rebind.patch_enclosing(root, original, built.code)
        if self.cls is not None:
            classes.add_new_methods(
                self.cls,
                self.lines,
                old.co_filename,
                built.class_path,
                old.co_firstlineno,
                fn.__globals__,
            )
        self.record()

    def record(self) -> None:
        """Remember the text the function now runs (what its next reload compares with)."""
        if self.key is not None:
            registry.running.setdefault(self.fn.__code__.co_filename, {})[self.key] = self.text


def reload_function(
    fn: FunctionType,
    qualname: str,
    lines: list[str] | None = None,
    call: callsite.Call | tuple[list[Any], dict[str, Any]] | None = None,
) -> FunctionType:
    """Rebuild ``fn`` from its file and swap the new code into it.

    With ``call`` (the arguments it will be re-run with), an edit those
    arguments no longer fit is refused.  On any problem this raises
    ReloadException and the running version is left exactly as it was.
    """
    prepare_function(fn, qualname, lines, call).apply()
    return fn


def build_function(fn: FunctionType, qualname: str, lines: list[str]) -> surrogate.Surrogate:
    """``fn``'s def compiled from ``lines``, nothing evaluated yet (see ``prepare_function``)."""
    old = fn.__code__
    return surrogate.build(
        lines,
        old.co_filename,
        qualname,
        old.co_firstlineno,
        surrogate.future_flags(old),
        old.co_freevars,
        surrogate.shape(old),
        locate.text_of(old) or loaded_lines(old.co_filename),
    )


def prepare_function(
    fn: FunctionType,
    qualname: str,
    lines: list[str] | None = None,
    call: callsite.Call | tuple[list[Any], dict[str, Any]] | None = None,
    built: surrogate.Surrogate | None = None,
) -> Prepared:
    old = fn.__code__
    filename = old.co_filename
    if lines is None:
        lines = read_lines(filename)
    if built is None:
        built = build_function(fn, qualname, lines)
    key: changes.DefKey | None = None
    text = ""
    defaults: dict[str, Any] = {}
    cls: type | None = None
    fresh: FunctionType | None = None
    new_node: ast.stmt | None = None
    names = tuple(name for name, _ in scope_path(qualname))
    if not built.nested:
        new_node, key, text = _new_def(lines, names, built.def_line)
    shipped.fill(fn, built.code, new_node, lines, filename)  # what an engine's copy lacks
    if not built.nested:
        old_node = _old_def(fn, names, key)
        cls = _resolve_class(fn.__globals__, built.class_path) if built.class_path else None
        if cls is not None:
            _check_class_layout(fn, built.class_path, lines)
        kept = _kept_defaults(fn, old_node, new_node)
        fresh = _evaluate_def(fn, built, cls, new_node, kept)
        if fresh is not None:
            defaults = _merge_defaults(fn, fresh, kept)
    if call is not None:
        _check_call(fn, qualname, built.code, defaults, call)
    made = _made_earlier(old, built.code)
    return Prepared(fn, built, cls, lines, key, text, defaults, fresh, made)


def _made_earlier(old: CodeType, new: CodeType) -> list[tuple[list[FunctionType], CodeType]]:
    """Closures (and a decorator's wrappers) made from the old nested defs, with
    their new code; refused when they cannot run it, before anything is swapped.

    A function's closure cells are fixed when it is made: one that the new
    code needs a variable more (or less) from its enclosing function cannot
    run it, as for a running closure reloaded alone.
    """
    found = rebind.made_earlier(rebind.nested_pairs(old, new))
    for made, code in found:
        name = made[0].__qualname__
        them = "the closure" if len(made) == 1 else f"the {len(made)} closures"
        if _parameters(made[0].__code__) != _parameters(code):
            raise ReloadException(
                f"{name} has new parameters, which {them} made before the "
                "edit cannot take (defaults are set when a closure is made); `up` and "
                "`restart` a caller that makes them again, or undo that part of the edit"
            )
        if made[0].__code__.co_freevars != code.co_freevars:
            needs = ", ".join(repr(v) for v in code.co_freevars) or "none"
            raise ReloadException(
                f"{name} now takes {needs} from its enclosing function, which {them} made "
                "before the edit cannot have; `up` and `restart` a caller that makes them "
                "again, or undo that part of the edit"
            )
    return found


def _parameters(code: CodeType) -> tuple[object, ...]:
    """A code object's parameter list: names, kinds, ``*args`` and ``**kwargs``."""
    count = code.co_argcount + code.co_kwonlyargcount
    count += bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)  # CO_VARARGS, CO_VARKEYWORDS
    return (*surrogate.shape(code), code.co_varnames[:count])


def _check_class_layout(fn: FunctionType, path: tuple[str, ...], lines: list[str]) -> None:
    """Refuse a method's reload when its class's bases or ``__slots__`` changed.

    The live class cannot take them; running the new method on it as if
    they had would run code that is not the code on disk.
    """
    old_lines = loaded_lines(fn.__code__.co_filename)
    if old_lines is None:
        return
    near = fn.__code__.co_firstlineno
    old_node = _class_node(old_lines, path, near)
    new_node = _class_node(lines, path, near)
    if old_node is not None and new_node is not None:
        found = changes.Changes()
        module = str(fn.__globals__.get("__name__", "?"))
        changes.compare_class(old_node, new_node, path, module, found)
        if found.refused:
            raise ReloadException(found.refused[0])


def _class_node(lines: list[str], path: tuple[str, ...], near: int) -> ast.ClassDef | None:
    block = find_block(lines, path, "class", near)
    node = parse_block(lines, block.start) if block is not None else None
    return node if isinstance(node, ast.ClassDef) else None


def _find_def(
    lines: list[str], names: tuple[str, ...], line: int, exact: bool
) -> tuple[ast.stmt | None, int]:
    """A def of this path and its rank among same-named siblings.

    ``exact``: the one whose def line is ``line``; else the nearest to it.
    A method is looked up in its class's block (one header search for the
    class, not one per same-named method of every class in the file).
    """
    candidates: list[ast.stmt] = []
    if len(names) > 1:
        cls = _class_node(lines, names[:-1], line)
        if cls is not None:
            candidates = [
                s
                for s in cls.body
                if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == names[-1]
            ]
    else:
        blocks = sorted(find_blocks(lines, names, "def", line), key=lambda b: b.start)
        candidates = [n for n in (parse_block(lines, b.start) for b in blocks) if n is not None]
    if not candidates:
        return None, -1
    if exact:
        for rank, node in enumerate(candidates):
            if node.lineno == line:
                return node, rank
        return None, -1
    rank = min(range(len(candidates)), key=lambda i: abs(candidates[i].lineno - line))
    return candidates[rank], rank


def _new_def(
    lines: list[str], names: tuple[str, ...], line: int
) -> tuple[ast.stmt | None, changes.DefKey | None, str]:
    """The new def's node, its key (path and rank) and its source text."""
    node, rank = _find_def(lines, names, line, exact=True)
    if node is None:
        return parse_block(lines, line), None, ""
    text = "".join(lines[node.lineno - 1 : node.end_lineno or node.lineno])
    return node, changes.def_key(names, rank), text


def _old_def(
    fn: FunctionType, names: tuple[str, ...], key: changes.DefKey | None
) -> ast.stmt | None:
    """The def the running code was compiled from: its text as reloaded, or as loaded."""
    filename = fn.__code__.co_filename
    text = registry.running.get(filename, {}).get(key) if key is not None else None
    if text is not None:
        indented = text[:1] in (" ", "\t")
        try:
            tree = ast.parse("if 1:\n" + text if indented else text)
        except SyntaxError:
            return None
        body = tree.body[0]
        if isinstance(body, ast.If) and indented:
            return body.body[0] if body.body else None
        return body
    lines = loaded_lines(filename)
    if lines is None:
        return None
    node, rank = _find_def(lines, names, fn.__code__.co_firstlineno, exact=False)
    if key is not None and rank != int(key[-1]) and len(names) > 1:
        cls = _class_node(lines, names[:-1], fn.__code__.co_firstlineno)
        same = [
            s
            for s in (cls.body if cls is not None else [])
            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == names[-1]
        ]
        if int(key[-1]) < len(same):
            node = same[int(key[-1])]
    return node


def _default_sources(node: ast.stmt | None) -> tuple[dict[str, str], dict[str, str]] | None:
    """Each parameter's default as source (an AST dump: formatting does not count)."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    with_default = positional[len(positional) - len(args.defaults) :]
    pos = {a.arg: ast.dump(d) for a, d in zip(with_default, args.defaults, strict=True)}
    kw = {
        a.arg: ast.dump(d)
        for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
        if d is not None
    }
    return pos, kw


def _kept_defaults(
    fn: FunctionType, old_node: ast.stmt | None, new_node: ast.stmt | None
) -> tuple[set[str], set[str]]:
    """Positional and keyword-only parameters whose default keeps its running object.

    Those whose default's source (as an AST dump: formatting does not count)
    is the same in the running def and the new one, and that have a running
    default.  Without the running def's source, none: all are evaluated.
    """
    old_sources = _default_sources(old_node)
    new_sources = _default_sources(new_node)
    if old_sources is None or new_sources is None:
        return set(), set()
    old = fn.__code__
    names = old.co_varnames[: old.co_argcount]
    with_default = set(names[len(names) - len(fn.__defaults__ or ()) :])
    positional = {
        name
        for name, source in new_sources[0].items()
        if name in with_default and old_sources[0].get(name) == source
    }
    running_kw = fn.__kwdefaults__ or {}
    keyword = {
        name
        for name, source in new_sources[1].items()
        if name in running_kw and old_sources[1].get(name) == source
    }
    return positional, keyword


def _merge_defaults(
    fn: FunctionType, fresh: FunctionType, kept: tuple[set[str], set[str]]
) -> dict[str, Any]:
    """The new defaults, with the running objects of the ``kept`` ones."""
    new_defaults = fresh.__defaults__
    new_kw = fresh.__kwdefaults__
    old_code, new_code = fn.__code__, fresh.__code__
    old_names = old_code.co_varnames[: old_code.co_argcount]
    old_defaults = fn.__defaults__ or ()
    running = dict(zip(old_names[len(old_names) - len(old_defaults) :], old_defaults, strict=True))
    if new_defaults:
        new_names = new_code.co_varnames[: new_code.co_argcount]
        named = new_names[len(new_names) - len(new_defaults) :]
        new_defaults = tuple(
            running[name] if name in kept[0] else value
            for name, value in zip(named, new_defaults, strict=True)
        )
    if new_kw:
        running_kw = fn.__kwdefaults__ or {}
        new_kw = {
            name: running_kw[name] if name in kept[1] else value for name, value in new_kw.items()
        }
    return {"defaults": new_defaults, "kwdefaults": new_kw}


def _check_call(
    fn: FunctionType,
    qualname: str,
    code: CodeType,
    defaults: dict[str, Any],
    call: callsite.Call | tuple[list[Any], dict[str, Any]],
) -> None:
    """Refuse an edit that the crashed call's arguments no longer fit.

    ``call`` is what the re-run will pass (``session.rerun_arguments``; a
    plain ``(args, kwargs)`` is passed as it is, as if read from the call site).
    With its shape read from the call site, it binds to the new code as
    plain Python would bind the crashed call: only a call that does not bind
    is refused (a new required parameter it did not pass).  Without it,
    every named parameter goes by position, which is exact only when the
    parameters (names, kinds, order) did not change, and no default changed
    that the call may have taken (its value is the old default): otherwise
    refused, since what the call passed by name or left out cannot be told.
    """
    pos_defaults = defaults.get("defaults", fn.__defaults__) or ()
    kw_defaults = defaults.get("kwdefaults", fn.__kwdefaults__) or {}
    args, kwargs = call[0], call[1]
    positional = code.co_varnames[: code.co_argcount]
    required = positional[: len(positional) - len(pos_defaults)]
    missing = [n for i, n in enumerate(required) if i >= len(args) and n not in kwargs]
    keyword_only = code.co_varnames[code.co_argcount : code.co_argcount + code.co_kwonlyargcount]
    missing += [n for n in keyword_only if n not in kw_defaults and n not in kwargs]
    short = qualname.rsplit(".", 1)[-1]
    if missing:
        listed = ", ".join(map(repr, missing))
        raise ReloadException(
            f"{qualname} now requires {listed}, which the crashed call did not pass; give "
            f"{'it a default' if len(missing) == 1 else 'them defaults'} (or `up` and `restart` "
            f"the caller that calls {short} with it)"
        )
    if len(call) == 3 and call[2] is None:  # a callsite.Call whose shape was not read
        _check_unread_call(fn, qualname, code, pos_defaults, kw_defaults, args, kwargs)
    probe = FunctionType(code, fn.__globals__, short, pos_defaults or None, fn.__closure__)
    probe.__kwdefaults__ = kw_defaults or None
    import inspect

    try:
        inspect.signature(probe).bind(*args, **kwargs)
    except TypeError as e:
        raise ReloadException(
            f"the crashed call of {qualname} no longer fits its new signature ({e}); "
            "restore the parameters, or `up` and `restart` a caller"
        ) from None


def _check_unread_call(
    fn: FunctionType,
    qualname: str,
    code: CodeType,
    pos_defaults: tuple[Any, ...],
    kw_defaults: dict[str, Any],
    args: list[Any],
    kwargs: dict[str, Any],
) -> None:
    """Refuse what passing every parameter by position would get wrong (see ``_check_call``)."""
    old = fn.__code__
    unread = "how the crashed call passed them cannot be read"
    if _parameters(old) != _parameters(code):
        raise ReloadException(
            f"{qualname}'s parameters changed ({_parameter_list(old)} -> "
            f"{_parameter_list(code)}) and {unread}; restore them, or `up` and `restart` "
            "the caller"
        )
    names = old.co_varnames[: old.co_argcount]
    before = fn.__defaults__ or ()
    old_defaults = dict(zip(names[len(names) - len(before) :], before, strict=True))
    new_defaults = dict(zip(names[len(names) - len(pos_defaults) :], pos_defaults, strict=True))
    old_defaults.update(fn.__kwdefaults__ or {})
    new_defaults.update(kw_defaults)
    values = dict(zip(names, args, strict=False))  # and ``*args`` extras
    values.update(kwargs)
    for name, value in old_defaults.items():
        if values.get(name, _UNSET) is value and new_defaults.get(name, _UNSET) is not value:
            raise ReloadException(
                f"{qualname}'s default for {name!r} changed and whether the crashed call "
                f"passed {name} or took the default cannot be read; restore it, or `up` and "
                "`restart` the caller"
            )


_UNSET: Any = object()


def _parameter_list(code: CodeType) -> str:
    """``(a, b, *, c)``: a code object's parameters, without defaults or annotations."""
    import inspect

    return str(inspect.signature(FunctionType(code, {})))


def _evaluate_def(
    fn: FunctionType,
    built: surrogate.Surrogate,
    cls: type | None,
    node: ast.stmt | None,
    kept: tuple[set[str], set[str]],
) -> FunctionType | None:
    """Run the new ``def`` statement alone to evaluate its new defaults.

    Only the defaults that changed are evaluated: the kept ones and the
    decorators are left out of the statement run, so an unchanged
    ``conn=connect()`` does not connect again.  The annotations stay in it:
    the reloaded function takes the new ones from the function it makes.  For a method it
    runs in a copy of the class namespace, so defaults that name
    class-level constants resolve as they did when the class was built.
    """
    if built.class_path and cls is None:
        return None
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not (
        built.class_path and surrogate.has_type_params(built.module_code)
    ):
        body = _defaults_only(node, built.class_path, kept, fn.__code__)
    else:
        # A generic class (PEP 695): the surrogate has its type parameters'
        # scope; kept defaults are still merged back by _merge_defaults.
        body = built.module_code
    namespace: dict[str, Any] = {}
    closure = None
    if cls is not None:
        # PEP 695 aware: a generic class's body needs its type parameters' cells.
        body, closure = surrogate.class_body(body, built.class_path, cls, fn.__globals__)
        namespace = dict(vars(cls))
    before = {key: id(value) for key, value in namespace.items()}
    try:
        if closure is None:
            exec(body, fn.__globals__, namespace)
        else:
            exec(body, fn.__globals__, namespace, **{"closure": closure})  # 3.11+
    except Exception as e:
        raise ReloadException(
            f"evaluating the new def of {fn.__qualname__} failed: {e.__class__.__name__}: {e}; "
            "fix it and continue again"
        ) from None
    def_name = node.name if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
    for key, value in namespace.items():
        if before.get(key) == id(value):
            continue  # what the class already had
        for candidate in underlying_functions(value):
            if candidate.__code__ is built.code or candidate.__code__.co_name == def_name:
                return candidate
    return None


def _defaults_only(
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    class_path: tuple[str, ...],
    kept: tuple[set[str], set[str]],
    old: CodeType,
) -> CodeType:
    """The def, emptied of all but the defaults to evaluate, in copies of its classes."""
    args = node.args
    empty = ast.Constant(None)

    def strip(arg: ast.arg) -> ast.arg:
        # The annotation stays: the reloaded function must carry the new
        # ones, evaluated when plain Python would (at the def; on 3.14 lazily).
        return ast.arg(arg.arg, arg.annotation)

    positional = [*args.posonlyargs, *args.args]
    first_default = len(positional) - len(args.defaults)
    stripped = ast.arguments(
        posonlyargs=[strip(a) for a in args.posonlyargs],
        args=[strip(a) for a in args.args],
        vararg=strip(args.vararg) if args.vararg else None,
        kwonlyargs=[strip(a) for a in args.kwonlyargs],
        kw_defaults=[
            None if d is None else (empty if a.arg in kept[1] else d)
            for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
        ],
        kwarg=strip(args.kwarg) if args.kwarg else None,
        defaults=[
            empty if positional[first_default + i].arg in kept[0] else d
            for i, d in enumerate(args.defaults)
        ],
    )
    kind = ast.AsyncFunctionDef if isinstance(node, ast.AsyncFunctionDef) else ast.FunctionDef
    new: ast.stmt = kind(
        name=node.name, args=stripped, body=[ast.Pass()], decorator_list=[], returns=node.returns
    )
    if sys.version_info >= (3, 12):
        new.type_params = list(getattr(node, "type_params", []))  # type: ignore[attr-defined]
    ast.copy_location(new, node)
    for name in reversed(class_path):
        outer = ast.ClassDef(name=name, bases=[], keywords=[], body=[new], decorator_list=[])
        if sys.version_info >= (3, 12):
            outer.type_params = []
        new = ast.copy_location(outer, node)
    module = ast.Module(body=[new], type_ignores=[])
    ast.fix_missing_locations(module)
    code: CodeType = compile(
        module, old.co_filename, "exec", flags=surrogate.future_flags(old), dont_inherit=True
    )
    return code


def _resolve_class(globals_: dict[str, Any], path: tuple[str, ...]) -> type | None:
    obj: Any = globals_.get(path[0]) if path else None
    for name in path[1:]:
        obj = getattr(obj, name, None)
    return obj if isinstance(obj, type) else None


def _enclosing_root(fn: FunctionType, qualname: str, codes: list[CodeType]) -> FunctionType | None:
    """The outermost def enclosing ``fn`` (whose code holds one of ``codes``)."""
    spath = scope_path(qualname)
    obj: Any = fn.__globals__.get(spath[0][0])
    for name, kind in spath[1:]:
        if kind == "def":
            break
        obj = getattr(obj, name, None)
    for candidate in underlying_functions(obj):
        if any(c is old for c in iter_code(candidate.__code__) for old in codes):
            return candidate
    return None


def qualname_of(fn: FunctionType) -> str:
    """The name its def was compiled with: ``functools.wraps`` renames a wrapper."""
    return code_qualname(fn.__code__) or fn.__qualname__


# Reload of everything edited -------------------------------------------------


@dataclass
class Report:
    """What a reload of all edited definitions did, for the one-line message."""

    reloaded: list[tuple[str, str]] = field(default_factory=list)  # (module, name)
    qualnames: list[str] = field(default_factory=list)  # the functions swapped
    not_run: list[str] = field(default_factory=list)  # "file:line" of code not re-run

    def names(self, home: str | None) -> list[str]:
        named = [name if module == home else f"{module}.{name}" for module, name in self.reloaded]
        return list(dict.fromkeys(named))  # a property's getter and setter: one name


@dataclass
class _FilePlan:
    filename: str
    namespaces: list[dict[str, Any]]  # a script imported back runs twice: two modules
    new_bytes: bytes
    lines: list[str]
    found: changes.Changes
    stamp: registry.Stamp  # taken once new_bytes were read


def reload_all(skip: FunctionType | None = None) -> list[str]:
    """Reload every definition edited since it was loaded, but ``skip``; the names reloaded."""
    return reload_changed(skip).qualnames


def reload_changed(
    target: FunctionType | None = None,
    qualname: str | None = None,
    call: callsite.Call | tuple[list[Any], dict[str, Any]] | None = None,
) -> Report:
    """Reload every instrumented definition whose source changed since it was loaded.

    Changed functions and methods get their new code; new top-level
    functions, classes, imports and constants are run in their module; no
    other module-level code runs again (the report lists where it changed).
    With ``qualname``, ``target`` (the function about to be re-run with
    ``call``) is reloaded too, changed or not, last; without, it is skipped.
    Nothing is swapped unless every change could be prepared.
    """
    report = Report()
    plans = [plan for plan in map(_plan_file, _instrumented_files(target).items()) if plan]
    refused = [message for plan in plans for message in plan.found.refused]
    if refused:
        raise ReloadException(refused[0])
    # What each reload compiles, first: its refusals (a def gone, siblings
    # that cannot be told apart) come before any new statement runs, since
    # a new def's decorators may register it somewhere for good.
    todo: list[tuple[FunctionType, str, list[str], Any, surrogate.Surrogate]] = []
    for plan in plans:
        for fn, name in _changed_functions(plan, target):
            todo.append((fn, name, plan.lines, None, build_function(fn, name, plan.lines)))
            report.qualnames.append(name)
    if target is not None and qualname is not None:
        lines = next((p.lines for p in plans if p.filename == target.__code__.co_filename), None)
        if lines is None:
            lines = read_lines(target.__code__.co_filename)
        todo.append((target, qualname, lines, call, build_function(target, qualname, lines)))
    for plan in plans:
        _run_new_statements(plan, report)
    prepared: list[Prepared] = []
    for fn, name, lines, args, built in todo:
        prepared.append(prepare_function(fn, name, lines, args, built))
        report.reloaded.append((str(fn.__globals__.get("__name__", "?")), name))
    for item in prepared:
        item.apply()
    for plan in plans:
        for path in plan.found.new_methods:
            for namespace in plan.namespaces:
                cls = _resolve_class(namespace, path)
                if cls is not None:
                    module = str(namespace.get("__name__", "?"))
                    added = classes.add_new_methods(
                        cls, plan.lines, plan.filename, path, 1, namespace
                    )
                    report.reloaded.extend((module, f"{'.'.join(path)}.{n} (new)") for n in added)
        name = os.path.basename(plan.filename)
        report.not_run.extend(f"{name}:{line}" for line in plan.found.not_run)
        _shift_unchanged(plan.filename, plan.found.moved, plan.namespaces)
        _loaded(plan.filename, plan.new_bytes, plan.stamp)
    for item in prepared:
        item.record()
    return report


def _loaded(filename: str, data: bytes, stamp: registry.Stamp) -> None:
    """The file's current text is now what its running code comes from.

    So no code of it keeps a text of its own (``locate.text_of``), whether
    or not anything moved: code reloaded by an earlier ``c`` would otherwise
    still claim that older text, and be left unshifted by the next edit
    that only moves it.
    """
    # Frames that run its code now (a caller suspended across this reload,
    # the module's body) stay at the lines of the text they started from.
    for top in sys._current_frames().values():
        frame: FrameType | None = top
        while frame is not None:
            if frame.f_code.co_filename == filename:
                locate.keep_text(frame.f_code)
            frame = frame.f_back
    registry.sources[filename] = (stamp, data)
    registry.running.pop(filename, None)
    locate.forget_texts(filename)


def _shift_unchanged(
    filename: str, moved: list[tuple[int, int, int]], namespaces: list[dict[str, Any]]
) -> None:
    """Unchanged code that moved: lines ``first..last`` of the loaded version, by ``delta``.

    A traceback or the debugger in such a function must show its current
    lines (issue 9 item 8): ``shift.shift_ranges`` gives its code new ones.
    """
    if moved:
        shift.shift_ranges(filename, moved, namespaces)


def _instrumented_files(target: FunctionType | None) -> dict[str, list[dict[str, Any]]]:
    """Each file with instrumented code, and the namespaces of the modules run from it."""
    files: dict[str, list[dict[str, Any]]] = {}

    def add(filename: str, namespace: dict[str, Any]) -> None:
        found = files.setdefault(filename, [])
        if not any(n is namespace for n in found):
            found.append(namespace)

    if target is not None:
        # Under ipdb, sys.modules['__main__'] is IPython's own for a while:
        # the crashed function's globals are its module's, always.
        add(target.__code__.co_filename, target.__globals__)
    for name in list(registry.modules):
        module = sys.modules.get(name)
        filename = getattr(module, "__file__", None)
        if module is not None and isinstance(filename, str) and filename in registry.sources:
            if name != "__main__" or target is None or filename not in files:
                add(filename, vars(module))
    for filename, group in list(registry.wrapped.items()):
        some = next(iter(group), None)
        if some is not None:
            add(filename, some.__globals__)
    return files


def _plan_file(item: tuple[str, list[dict[str, Any]]]) -> _FilePlan | None:
    filename, namespaces = item
    loaded = registry.sources.get(filename)
    if loaded is None:
        return None  # not loaded through hot_restart: nothing to compare with
    try:
        st = os.stat(filename)
        if registry.unchanged(loaded[0], st):
            return None
        with open(filename, "rb") as f:
            data = f.read()
    except OSError:
        return None
    stamp = registry.stamp_of(st, time_ns())
    base = loaded[1]
    if data == base:
        registry.sources[filename] = (stamp, base)
        return None
    old = loaded_lines(filename)
    new = locate.decode(data)
    if old is None or new is None:
        raise ReloadException(f"cannot decode {filename}; fix it and continue again")
    module = str(namespaces[0].get("__name__", "?"))
    found = changes.compare(old, new, filename, module, namespaces[0])
    _apply_running(filename, found, new)
    linecache.cache[filename] = (len(data), st.st_mtime, new, filename)
    return _FilePlan(filename, namespaces, data, new, found, stamp)


def _apply_running(filename: str, found: changes.Changes, new: list[str]) -> None:
    """Drop changes to defs already reloaded alone to exactly the new text."""
    running = registry.running.get(filename)
    if not running:
        return
    found.changed = [
        c for c in found.changed if running.get(changes.def_key(c.path, c.rank)) != c.new_text
    ]


def _changed_functions(
    plan: _FilePlan, skip: FunctionType | None
) -> list[tuple[FunctionType, str]]:
    """The live, instrumented functions running the changed defs of one file."""
    out: list[tuple[FunctionType, str]] = []
    seen: set[int] = set() if skip is None else {id(skip)}
    for change in plan.found.changed:
        for namespace in plan.namespaces:
            for fn in _running(plan.filename, namespace, change):
                if id(fn) not in seen:
                    seen.add(id(fn))
                    out.append((fn, qualname_of(fn)))
    return out


def _running(
    filename: str, namespace: dict[str, Any], change: changes.ChangedDef
) -> list[FunctionType]:
    owner: Any = namespace.get(change.path[0], None)
    for name in change.path[1:-1]:
        owner = getattr(owner, name, None)
    name = change.path[-1]
    if len(change.path) > 1:
        if not isinstance(owner, type):
            return []
        value = vars(owner).get(mangle(owner.__name__, name))
    else:
        value = owner
    fns = sorted(
        (
            f
            for f in underlying_functions(value)
            if f.__code__.co_name == name
            and f.__code__.co_filename == filename
            and is_instrumented(f.__code__)  # under wrap(), only the wrapped ones
        ),
        key=lambda f: f.__code__.co_firstlineno,
    )
    if change.old_first:
        # The def at that line, wherever the program keeps it: its name may
        # hold a sibling (a later ``singledispatch`` registration ``_``).
        at = [f for f in fns if f.__code__.co_firstlineno == change.old_first]
        return at or _defined_at(filename, name, change.old_first)
    if len(fns) > 1 and change.rank < len(fns):
        fns = [fns[change.rank]]
    return fns


def _defined_at(filename: str, name: str, first: int) -> list[FunctionType]:
    """The live functions whose code is the def ``name`` at line ``first`` of
    ``filename``, found through the heap: kept only by a registry (a
    ``singledispatch`` ``_``), a list of callbacks, ...  One scan, only for a
    changed def that its name does not reach."""
    import gc

    return [
        f
        for f in gc.get_objects()
        if type(f) is FunctionType
        and f.__code__.co_firstlineno == first
        and f.__code__.co_name == name
        and f.__code__.co_filename == filename
        and is_instrumented(f.__code__)
    ]


def _run_new_statements(plan: _FilePlan, report: Report) -> None:
    """Run the new imports, constants, functions and classes in their module(s)."""
    for namespace in plan.namespaces:
        module = str(namespace.get("__name__", "?"))
        flags = _future_flags(plan.filename, namespace)
        for stmt, names, how in plan.found.run:
            run_statement(stmt, plan.filename, plan.lines, namespace, flags)
            report.reloaded.extend((module, f"{name} ({how})") for name in names)


def run_statement(
    stmt: ast.stmt, filename: str, lines: list[str], namespace: dict[str, Any], flags: int
) -> None:
    """Run one top-level statement of ``lines`` in ``namespace``, its defs instrumented.

    A failure is the user's to fix: ReloadException, naming the line.
    """
    tree = ast.Module(body=[stmt], type_ignores=[])
    instrument_tree(tree)
    ast.fix_missing_locations(tree)
    try:
        code = compile(tree, filename, "exec", flags=flags, dont_inherit=True)
        # New code, at the edited text's lines already: the shift of
        # moved code at the end of this reload must leave it alone.
        locate.note_text(code, lines)
        exec(code, namespace)
    except Exception as e:
        raise ReloadException(
            f"running {os.path.basename(filename)}:{stmt.lineno} failed "
            f"({e.__class__.__name__}: {e}); fix it and continue again"
        ) from None


def _future_flags(filename: str, namespace: dict[str, Any]) -> int:
    """The module's ``from __future__`` flags, read off one of its functions."""
    for value in list(namespace.values()):
        for fn in underlying_functions(value):
            if fn.__code__.co_filename == filename:
                return surrogate.future_flags(fn.__code__)
    return 0
