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
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from types import CodeType

from ..errors import ReloadException
from ..transform import HANDLER_NAME, FunctionNode, instrument_tree, iter_code
from .locate import block_source, enclosing_block, find_blocks, scope_path

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass
class Surrogate:
    code: CodeType  # the target's new, instrumented code
    module_code: CodeType  # the whole surrogate; running it only defines things
    class_path: tuple[str, ...]  # enclosing classes, when no def encloses the target
    nested: bool  # a def encloses the target: defaults cannot be re-evaluated
    doc: str | None


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
) -> Surrogate:
    """Compile the current source of ``qualname`` (the version nearest ``near``).

    Among several defs of that name, the nearest one with the running
    version's signature shape wins; failing that, the nearest one.
    """
    spath = scope_path(qualname)
    names = tuple(name for name, _ in spath)
    root_at = next((i for i, (_, kind) in enumerate(spath[:-1]) if kind == "def"), len(spath) - 1)
    first: Surrogate | None = None
    problem: ReloadException | None = None
    for root_node, target in _candidates(lines, filename, names, root_at, near, qualname):
        try:
            built = _build_one(
                root_node, target, names, root_at, spath, filename, flags, old_freevars, qualname
            )
        except ReloadException as e:
            problem = problem or e
            continue
        if old_shape is None or shape(built.code) == old_shape:
            return built
        first = first or built
    if first is not None:
        return first
    if problem is not None:
        raise problem
    raise ReloadException(
        f"{qualname} is no longer defined in {filename} (renamed or deleted?); "
        "restore it, or `up` and `restart` a caller"
    )


def _build_one(
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
    target.decorator_list = []
    _keep_free(target, old_freevars)
    classes = names[:root_at]
    module = _wrap_in_classes(root_node, classes)
    instrument_tree(module)
    code = _compile(module, filename, flags)
    new = _find_code(code, target)
    if set(new.co_freevars) - set(old_freevars) == {"__class__"} and not root_at < len(spath) - 1:
        # The running version has no __class__ cell, so a new one cannot be
        # handed to it: spell super() out with the class, as 0.2.x did.
        _explicit_super(target, classes)
        code = _compile(module, filename, flags)
        new = _find_code(code, target)
    _check_freevars(qualname, new.co_freevars, old_freevars, spath, root_at)
    nested = root_at < len(spath) - 1
    return Surrogate(new, code, () if nested else classes, nested, doc)


def _candidates(
    lines: list[str], filename: str, names: tuple[str, ...], root_at: int, near: int, qualname: str
) -> Iterator[tuple[ast.stmt, ast.stmt]]:
    """(root, target) for each def of this path, nearest first; each freshly parsed."""
    yielded = False
    for target_block in find_blocks(lines, names, "def", near):
        root = (
            target_block
            if root_at == len(names) - 1
            else enclosing_block(lines, names[: root_at + 1], "def", target_block.start)
        )
        if root is None:
            continue
        try:
            tree = ast.parse(block_source(lines, root), filename)
        except SyntaxError:
            continue  # the fast path cut the block wrongly, or the file is broken
        node = tree.body[0]
        if isinstance(node, ast.If):
            node = node.body[0]
        if not (isinstance(node, _SCOPES) and node.name == names[root_at]):
            continue
        try:
            target = _descend(node, names[root_at + 1 :], target_block.start, qualname, filename)
        except ReloadException:
            continue
        yielded = True
        yield node, target
    if not yielded:
        for distance_rank in range(8):  # a few same-named defs at most
            parsed = _root_from_full_parse(
                lines, filename, names, root_at, near, qualname, distance_rank
            )
            if parsed is None:
                return
            yield parsed, _descend(parsed, names[root_at + 1 :], near, qualname, filename)


def _root_from_full_parse(
    lines: list[str],
    filename: str,
    names: tuple[str, ...],
    root_at: int,
    near: int,
    qualname: str,
    rank: int = 0,
) -> ast.stmt | None:
    """The ``rank``-th nearest root of this path, by a parse of the whole file."""
    try:
        tree = ast.parse("".join(lines), filename)
    except SyntaxError as e:
        raise ReloadException(
            f"syntax error in {e.filename}:{e.lineno}: {e.msg}; fix it and continue again"
        ) from None
    node: ast.AST = tree
    for name in names[:root_at]:
        node = _child_named(node, name, near, qualname, filename)
    found = sorted(
        (n for n in _scope_children(node) if n.name == names[root_at]),
        key=lambda n: abs(n.lineno - near),
    )
    if rank == 0 and not found:
        raise ReloadException(
            f"{qualname} is no longer defined in {filename} (renamed or deleted?); "
            "restore it, or `up` and `restart` a caller"
        )
    return found[rank] if rank < len(found) else None


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


def _wrap_in_classes(root: ast.stmt, classes: tuple[str, ...]) -> ast.Module:
    node = root
    for name in reversed(classes):
        node = ast.ClassDef(name=name, bases=[], keywords=[], body=[node], decorator_list=[])
        if sys.version_info >= (3, 12):
            node.type_params = []
        ast.copy_location(node, root)
    return ast.Module(body=[node], type_ignores=[])


def _explicit_super(target: FunctionNode, classes: tuple[str, ...]) -> None:
    args = [*target.args.posonlyargs, *target.args.args]
    if not args or not classes:
        return
    first = args[0].arg
    for node in ast.walk(target):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "super"
            and not node.args
            and not node.keywords
        ):
            cls: ast.expr = ast.Name(classes[0], ast.Load())
            for name in classes[1:]:
                cls = ast.Attribute(cls, name, ast.Load())
            # Not the name ``super``: any use of it makes the compiler add the
            # __class__ cell this rewrite exists to avoid.
            node.func = ast.Attribute(ast.Name(HANDLER_NAME, ast.Load()), "super", ast.Load())
            node.args = [cls, ast.Name(first, ast.Load())]
            for part in [*ast.walk(node.func), *(p for a in node.args for p in ast.walk(a))]:
                ast.copy_location(part, node)


def _compile(module: ast.Module, filename: str, flags: int) -> CodeType:
    ast.fix_missing_locations(module)
    code: CodeType = compile(module, filename, "exec", flags=flags, dont_inherit=True)
    return code


def _find_code(code: CodeType, target: FunctionNode) -> CodeType:
    for c in iter_code(code):
        if c.co_name == target.name and c.co_firstlineno == target.lineno:
            return c
    raise ReloadException(f"internal: compiled {target.name} but could not find its code")


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
