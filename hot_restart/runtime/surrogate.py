"""Rebuild one function from the file on disk as a *surrogate module*.

The surrogate holds only the target def and its enclosing scopes, with the
file's own line numbers, so no module-level code runs again and the debugger
and tracebacks show the lines the user sees in the editor.  A target nested
in functions is compiled inside its outermost enclosing def, so that its free
variables come out exactly as the compiler sees them in the new source; a
target in classes is compiled inside (empty) copies of those classes, so that
private names are mangled and zero-argument ``super()`` still finds
``__class__``.
"""

from __future__ import annotations
import __future__

import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from types import CellType, CodeType
from typing import Any

from ..errors import ReloadException
from ..transform import HANDLER_NAME, FunctionNode, instrument_tree, iter_code
from .locate import (
    block_source,
    enclosing_block,
    find_blocks,
    loaded_lines,
    note_text,
    parse_header,
    scope_path,
)

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (*_FUNCTIONS, ast.ClassDef)


@dataclass
class Surrogate:
    code: CodeType  # the target's new, instrumented code
    module_code: CodeType  # the whole surrogate; running it only defines things
    class_path: tuple[str, ...]  # enclosing classes, when no def encloses the target
    nested: bool  # a def encloses the target: defaults cannot be re-evaluated
    doc: str | None
    def_line: int  # the line of the ``def`` itself (code starts at its first decorator)


def future_flags(code: CodeType) -> int:
    """The ``from __future__`` flags the running code was compiled with."""
    flags = 0
    for name in __future__.all_feature_names:
        flag: int = getattr(__future__, name).compiler_flag
        if code.co_flags & flag:
            flags |= flag
    return flags


def shape(code: CodeType) -> tuple[int, int, int, int]:
    """What tells same-named defs apart (a property's getter from its setter)."""
    return (
        code.co_argcount,
        code.co_posonlyargcount,
        code.co_kwonlyargcount,
        code.co_flags & 0x0C,  # CO_VARARGS | CO_VARKEYWORDS
    )


def build(
    lines: list[str],
    filename: str,
    qualname: str,
    near: int,
    flags: int,
    old_freevars: tuple[str, ...],
    old_shape: tuple[int, int, int, int] | None = None,
    loaded: list[str] | None = None,
) -> Surrogate:
    """Compile the current source of ``qualname``, whose running version
    starts at line ``near`` of ``loaded`` (default: the text the file had
    when it was last loaded, when that is known)."""
    spath = scope_path(qualname)
    names = tuple(name for name, _ in spath)
    root_at = next((i for i, (_, kind) in enumerate(spath[:-1]) if kind == "def"), len(spath) - 1)
    found = _candidates(lines, filename, names, root_at, qualname)
    if not found:
        raise ReloadException(
            f"{qualname} is no longer defined in {filename} (renamed or deleted?); "
            "restore it, or `up` and `restart` a caller"
        )
    if loaded is None:
        loaded = loaded_lines(filename)
    root_node, target = _choose(found, loaded, filename, names, root_at, qualname, near, old_shape)
    type_params = _class_type_params(lines, names[:root_at], target.lineno)
    built = _build_one(
        type_params,
        root_node,
        target,
        names,
        root_at,
        spath,
        filename,
        flags,
        old_freevars,
        qualname,
    )
    note_text(built.code, lines)
    return built


Candidate = tuple[ast.stmt, ast.stmt]  # (the parsed root block, the target in it)


def _choose(
    found: list[Candidate],
    loaded: list[str] | None,
    filename: str,
    names: tuple[str, ...],
    root_at: int,
    qualname: str,
    near: int,
    old_shape: tuple[int, int, int, int] | None,
) -> Candidate:
    """The def the running function came from, among same-named siblings.

    ``typing.overload`` stubs are never the running implementation.  With
    the text the running version was loaded from, the running def is the
    one at line ``near`` there, and it maps to the def in the same place
    among those with the same decorators and signature (or, when those were
    edited, among all siblings, if their number did not change).  Without
    that text, the signature's shape must single it out.  Otherwise no
    guess: the user is told, and the prompt comes back.
    """
    defs = [c for c in found if isinstance(c[1], _FUNCTIONS)]
    if not defs:
        return found[0]  # a class now: _build_one says so
    live = [c for c in defs if not _is_overload(c[1])] or defs
    if len(live) == 1:
        return live[0]
    if loaded is not None:
        picked = _same_place(live, loaded, filename, names, root_at, qualname, near)
        if picked is not None:
            return picked
    if old_shape is not None:
        fits = [c for c in live if _node_shape(c[1]) == old_shape]
        if len(fits) == 1:
            return fits[0]
    at = ", ".join(str(c[1].lineno) for c in live)
    raise ReloadException(
        f"{qualname} is defined {len(live)} times in {filename} (lines {at}) and hot_restart "
        "cannot tell which one is running; make their decorators or parameters differ, "
        "or `up` and `restart` a caller"
    )


def _same_place(
    live: list[Candidate],
    loaded: list[str],
    filename: str,
    names: tuple[str, ...],
    root_at: int,
    qualname: str,
    near: int,
) -> Candidate | None:
    try:
        before = _candidates(loaded, filename, names, root_at, qualname)
    except ReloadException:
        return None
    before = [c for c in before if isinstance(c[1], _FUNCTIONS)]
    before = [c for c in before if not _is_overload(c[1])] or before
    mine = [i for i, c in enumerate(before) if near in (c[1].lineno, _first_line(c[1]))]
    if len(mine) != 1:
        return None
    k = mine[0]
    print_ = fingerprint(before[k][1])
    alike_before = [i for i, c in enumerate(before) if fingerprint(c[1]) == print_]
    alike_now = [c for c in live if fingerprint(c[1]) == print_]
    if alike_now and len(alike_now) == len(alike_before):
        return alike_now[alike_before.index(k)]
    if len(live) == len(before):
        return live[k]
    return None


def _is_overload(node: ast.stmt) -> bool:
    for d in getattr(node, "decorator_list", ()):
        if (isinstance(d, ast.Name) and d.id == "overload") or (
            isinstance(d, ast.Attribute) and d.attr == "overload"
        ):
            return True
    return False


def fingerprint(node: ast.stmt) -> tuple[str, ...]:
    """Decorators and signature, without positions: what tells siblings apart."""
    assert isinstance(node, _FUNCTIONS)
    return (
        *(ast.dump(d) for d in node.decorator_list),
        ast.dump(node.args),
        ast.dump(node.returns) if node.returns is not None else "",
        type(node).__name__,
    )


def _node_shape(node: ast.stmt) -> tuple[int, int, int, int]:
    assert isinstance(node, _FUNCTIONS)
    a = node.args
    flags = (0x04 if a.vararg is not None else 0) | (0x08 if a.kwarg is not None else 0)
    return (len(a.posonlyargs) + len(a.args), len(a.posonlyargs), len(a.kwonlyargs), flags)


def _first_line(node: ast.stmt) -> int:
    """A def's first line, decorators included (like ``co_firstlineno``)."""
    first: int = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
    return first


def _build_one(
    type_params: list[list[ast.AST]],
    root_node: ast.stmt,
    target: ast.stmt,
    names: tuple[str, ...],
    root_at: int,
    spath: list[tuple[str, str]],
    filename: str,
    flags: int,
    old_freevars: tuple[str, ...],
    qualname: str,
) -> Surrogate:
    if not isinstance(target, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise ReloadException(
            f"{qualname} is now a class in {filename}:{target.lineno}; restart its caller instead"
        )
    doc = ast.get_docstring(target)
    first = _first_line(target)
    _unapplied_decorators(target)
    _keep_free(target, old_freevars)
    classes = names[:root_at]
    module = _wrap_in_classes(root_node, classes, type_params)
    instrument_tree(module)
    code = _compile(module, filename, flags)
    new = _find_code(code, target.name, first)
    if set(new.co_freevars) - set(old_freevars) == {"__class__"} and not root_at < len(spath) - 1:
        # The running version has no __class__ cell, so a new one cannot be
        # handed to it: spell super() out with the class, as 0.2.x did.
        _explicit_super(target, classes)
        code = _compile(module, filename, flags)
        new = _find_code(code, target.name, first)
    _check_freevars(qualname, new.co_freevars, old_freevars, spath, root_at)
    nested = root_at < len(spath) - 1
    return Surrogate(new, code, () if nested else classes, nested, doc, target.lineno)


def _candidates(
    lines: list[str], filename: str, names: tuple[str, ...], root_at: int, qualname: str
) -> list[Candidate]:
    """(root, target) for every def of this path, in file order, each freshly parsed.

    Blocks are found by the line scan and parsed alone; if any of them does
    not parse (the scan cut it wrongly, or the file is broken), the whole
    file is parsed instead, so that no sibling is missed.
    """
    found: dict[int, Candidate] = {}
    for target_block in sorted(find_blocks(lines, names, "def", 0), key=lambda b: b.start):
        root = (
            target_block
            if root_at == len(names) - 1
            else enclosing_block(lines, names[: root_at + 1], "def", target_block.header)
        )
        if root is None:
            continue
        try:
            tree = ast.parse(block_source(lines, root), filename)
        except SyntaxError:
            return _candidates_from_full_parse(lines, filename, names, root_at, qualname)
        node = tree.body[0]
        if isinstance(node, ast.If):
            node = node.body[0]
        if not (isinstance(node, _SCOPES) and node.name == names[root_at]):
            continue
        try:
            target = _descend(node, names[root_at + 1 :], target_block.header, qualname, filename)
        except ReloadException:
            continue
        found.setdefault(target.lineno, (node, target))
    if not found:
        return _candidates_from_full_parse(lines, filename, names, root_at, qualname)
    return [found[line] for line in sorted(found)]


def _candidates_from_full_parse(
    lines: list[str], filename: str, names: tuple[str, ...], root_at: int, qualname: str
) -> list[Candidate]:
    try:
        tree = ast.parse("".join(lines), filename)
    except SyntaxError as e:
        raise ReloadException(
            f"syntax error in {e.filename}:{e.lineno}: {e.msg}; fix it and continue again"
        ) from None
    scopes: list[ast.AST] = [tree]
    for name in names[:root_at]:
        scopes = [n for scope in scopes for n in _scope_children(scope) if n.name == name]
    found: list[Candidate] = []
    for scope in scopes:
        for root in _scope_children(scope):
            if root.name != names[root_at]:
                continue
            targets: list[ast.stmt] = [root]
            for name in names[root_at + 1 :]:
                targets = [n for t in targets for n in _scope_children(t) if n.name == name]
            found += [(root, t) for t in targets]
    found.sort(key=lambda c: c[1].lineno)
    return found


def _descend(
    node: ast.stmt, names: tuple[str, ...], near: int, qualname: str, filename: str
) -> ast.stmt:
    current: ast.AST = node
    for name in names:
        current = _child_named(current, name, near, qualname, filename)
    assert isinstance(current, ast.stmt)
    return current


def _child_named(node: ast.AST, name: str, near: int, qualname: str, filename: str) -> ast.stmt:
    """The def/class ``name`` directly in this scope, nearest to line ``near``."""
    found = [n for n in _scope_children(node) if n.name == name]
    if not found:
        raise ReloadException(
            f"{qualname} is no longer defined in {filename} (renamed or deleted?); "
            "restore it, or `up` and `restart` a caller"
        )
    return min(found, key=lambda n: abs(n.lineno - near))


def _scope_children(node: ast.AST) -> Iterator[FunctionNode | ast.ClassDef]:
    """Defs and classes of this scope, also those under if/try/with blocks."""
    stack = list(getattr(node, "body", []))
    while stack:
        child = stack.pop()
        if isinstance(child, _SCOPES):
            yield child
            continue
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            stack.extend(getattr(child, field, []))


def _keep_free(target: FunctionNode, old_freevars: tuple[str, ...]) -> None:
    """Keep every free variable of the running closure in the new code.

    ``if 0: name`` is dropped by the compiler but still makes ``name`` free,
    so the new code takes the same cells even where the edit stopped using
    one; otherwise its code could not replace the running function's.  It
    goes last: a ``nonlocal`` declaration must come before any use of its
    name, and the body may declare one anywhere.
    """
    if not old_freevars:
        return
    refs = ast.Tuple([ast.Name(n, ast.Load()) for n in old_freevars], ast.Load())
    keep = ast.If(ast.Constant(0), [ast.Expr(refs)], [])
    for n in ast.walk(keep):
        if "lineno" in n._attributes:
            ast.copy_location(n, target)
    target.body.append(keep)


def _wrap_in_classes(
    root: ast.stmt, classes: tuple[str, ...], type_params: list[list[ast.AST]]
) -> ast.Module:
    """Empty copies of the enclosing classes, with their PEP 695 type
    parameters: a method of ``class Box[T]`` sees ``T`` as it did."""
    node = root
    for name, params in zip(reversed(classes), reversed(type_params), strict=True):
        node = ast.ClassDef(name=name, bases=[], keywords=[], body=[node], decorator_list=[])
        if sys.version_info >= (3, 12):
            node.type_params = params
        ast.copy_location(node, root)
        for param in params:  # parsed from the header alone: give them its place
            for part in ast.walk(param):
                if "lineno" in part._attributes:
                    ast.copy_location(part, root)
    return ast.Module(body=[node], type_ignores=[])


_GENERIC_CLASS = re.compile(r"[ \t]*class[ \t]+\w+[ \t]*\[")


def _class_type_params(
    lines: list[str], classes: tuple[str, ...], inner: int
) -> list[list[ast.AST]]:
    """The type parameters of each enclosing class, read from its header.

    Only a header that has them (``class Box[T]:``) is parsed, alone.
    """
    out: list[list[ast.AST]] = []
    for depth in range(1, len(classes) + 1):
        params: list[ast.AST] = []
        block = (
            enclosing_block(lines, classes[:depth], "class", inner)
            if sys.version_info >= (3, 12)
            else None
        )
        if block is not None and _GENERIC_CLASS.match(lines[block.header - 1]):
            node = parse_header(lines, block)
            if isinstance(node, ast.ClassDef):
                params = list(getattr(node, "type_params", []))
        out.append(params)
    return out


def has_type_params(module_code: CodeType) -> bool:
    """Whether a surrogate compiled a PEP 695 type-parameter scope."""
    return any(c.co_name.startswith("<generic parameters of") for c in iter_code(module_code))


def class_body(
    module_code: CodeType,
    class_path: tuple[str, ...],
    cls: type,
    globals_: dict[str, Any] | None = None,
) -> tuple[CodeType, tuple[Any, ...] | None]:
    """The body code of the innermost class of a surrogate, and the cells to
    run it with alone: a generic class's body takes its type parameters
    (``.type_params``, ``T``) from the live class, or from the live classes
    enclosing it (found from ``globals_``)."""
    body = module_code
    for name in class_path:
        generic = f"<generic parameters of {name}>"
        for c in body.co_consts:
            if isinstance(c, CodeType) and c.co_name == generic:
                body = c
                break
        body = next(c for c in body.co_consts if isinstance(c, CodeType) and c.co_name == name)
    if not body.co_freevars:
        return body, None
    params: tuple[Any, ...] = getattr(cls, "__type_params__", ())
    chain: list[Any] = []
    outer: Any = globals_.get(class_path[0]) if globals_ is not None else None
    for name in class_path[1:]:
        chain.append(outer)
        outer = getattr(outer, name, None)
    by_name: dict[str, Any] = {}
    for scope in [*chain, cls]:  # the innermost scope wins, as in the compiler
        for param in getattr(scope, "__type_params__", ()):
            by_name[getattr(param, "__name__", "")] = param
    cells = []
    for name in body.co_freevars:
        if name == ".type_params":
            cells.append(CellType(params))
        elif name in by_name:
            cells.append(CellType(by_name[name]))
        else:
            raise ReloadException(
                f"{cls.__qualname__}: cannot rebuild the scope of its type parameter "
                f"{name!r}; `up` and `restart` a caller"
            )
    return body, tuple(cells)


def _explicit_super(target: FunctionNode, classes: tuple[str, ...]) -> None:
    """Spell ``super`` and ``__class__`` out without the ``__class__`` cell.

    ``super()`` becomes ``super(Class, first_argument)``, as 0.2.x did; every
    use of the name ``super`` (``super(D, self)`` too) reaches the builtin
    through the handler, and ``__class__`` becomes the class, found by name.
    """
    args = [*target.args.posonlyargs, *target.args.args]
    if not classes:
        return

    def the_class() -> ast.expr:
        cls: ast.expr = ast.Name(classes[0], ast.Load())
        for name in classes[1:]:
            cls = ast.Attribute(cls, name, ast.Load())
        return cls

    class Rewrite(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            self.generic_visit(node)
            if (
                isinstance(node.func, ast.Attribute)
                and node.func.attr == "super"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == HANDLER_NAME
                and not node.args
                and not node.keywords
                and args
            ):
                node.args = [the_class(), ast.Name(args[0].arg, ast.Load())]
            return node

        def visit_Name(self, node: ast.Name) -> ast.AST:
            if not isinstance(node.ctx, ast.Load):
                return node
            if node.id == "super":
                # Not the name ``super``: any use of it makes the compiler add
                # the __class__ cell this rewrite exists to avoid.
                return ast.Attribute(ast.Name(HANDLER_NAME, ast.Load()), "super", ast.Load())
            if node.id == "__class__":
                return the_class()
            return node

    Rewrite().visit(target)
    for node in ast.walk(target):
        for child in ast.iter_child_nodes(node):
            if "lineno" in child._attributes and not hasattr(child, "lineno"):
                ast.copy_location(child, node)


def _compile(module: ast.Module, filename: str, flags: int) -> CodeType:
    ast.fix_missing_locations(module)
    code: CodeType = compile(module, filename, "exec", flags=flags, dont_inherit=True)
    return code


def _find_code(code: CodeType, name: str, first: int) -> CodeType:
    for c in iter_code(code):
        if c.co_name == name and c.co_firstlineno == first:
            return c
    raise ReloadException(f"internal: compiled {name} but could not find its code")


def _unapplied_decorators(target: FunctionNode) -> None:
    """Replace the def's decorators by one that changes nothing, at the first one's place.

    A reload keeps the running function object, so its decorators are not
    applied again (the surrogate runs only to evaluate defaults, and for a
    generic class).  But the code of a decorated def starts at its first
    decorator (``co_firstlineno``, as plain Python compiles it): where
    ``inspect.getsource`` and pdb's ``longlist`` begin, and what a later
    shift of moved code looks for.  ``(lambda f: f)`` there keeps both.
    """
    if not target.decorator_list:
        return
    at = target.decorator_list[0]
    identity = ast.parse("(lambda f: f)", mode="eval").body
    for node in ast.walk(identity):
        if "lineno" in node._attributes:
            node.lineno, node.col_offset = at.lineno, at.col_offset  # type: ignore[attr-defined]
            node.end_lineno = at.end_lineno  # type: ignore[attr-defined]
            node.end_col_offset = at.end_col_offset  # type: ignore[attr-defined]
    target.decorator_list = [identity]


def _check_freevars(
    qualname: str,
    new: tuple[str, ...],
    old: tuple[str, ...],
    spath: list[tuple[str, str]],
    root_at: int,
) -> None:
    if new == old:
        return
    gained = sorted(set(new) - set(old))
    enclosing = ".".join(n for n, _ in spath[: root_at + 1]) if root_at < len(spath) - 1 else ""
    if gained:
        where = f" from {enclosing}" if enclosing else ""
        raise ReloadException(
            f"{qualname} now uses {', '.join(map(repr, gained))}{where}, but a running closure "
            "cannot gain variables; `up` to the enclosing function and `restart` it, "
            "or pass the value as an argument"
        )
    lost = sorted(set(old) - set(new))
    raise ReloadException(
        f"{qualname} no longer shares {', '.join(map(repr, lost))} with its enclosing function; "
        "`up` to the enclosing function and `restart` it"
    )
