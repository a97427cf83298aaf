"""The AST transform that gives every function a restart trampoline.

Each instrumented ``def`` keeps its body, its line numbers and its identity;
the body is wrapped in ``try: ... except BaseException`` whose handler asks
the runtime (``__hot_restart__``, a global the loader injects) what to do.
On Python 3.11+ an untaken ``try`` costs nothing, so the happy path runs the
same bytecode as the plain function.  The same transform serves the import
hook, the classic ``wrap`` API and reloaded surrogates: one mechanism.

The handler passes the function's qualified name and its kind as constants,
so the runtime never has to guess them on 3.10 (which lacks ``co_qualname``).
Parameters that the body rebinds are copied to ``_hr__<name>`` on entry, so a
restart can re-run the function with the arguments as they were at entry.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from types import CodeType

from .constants import ARG_SNAPSHOT_PREFIX, HANDLER_NAME, SKIP_MARKER, TRANSFORM_VERSION

__all__ = ["ARG_SNAPSHOT_PREFIX", "HANDLER_NAME", "SKIP_MARKER", "TRANSFORM_VERSION"]

# Kinds passed to the handler; the runtime restarts each kind differently.
KIND_FUNCTION = 0
KIND_GENERATOR = 1
KIND_COROUTINE = 2
KIND_ASYNC_GENERATOR = 3

_EXC = "_hr_exc"
_RES = "_hr_res"
_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def is_opt_out_decorator(node: ast.expr) -> bool:
    """``@no_wrap``, ``@hot_restart.no_wrap`` or ``@hot_restart.ignore``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id == "no_wrap"
    if isinstance(node, ast.Attribute):
        if node.attr == "no_wrap":
            return True
        return (
            node.attr == "ignore"
            and isinstance(node.value, ast.Name)
            and (node.value.id == "hot_restart")
        )
    return False


def module_opts_out(tree: ast.Module) -> bool:
    """True if the module assigns ``__hot_restart_skip__`` at top level."""
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name) and target.id == SKIP_MARKER:
                    return True
    return False


def _own_scope_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Nodes of a function body, without descending into nested scopes."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _NESTED_SCOPES):
            # Its name binds here; its decorators and defaults run here; its
            # body is another scope.
            stack.extend(getattr(node, "decorator_list", []))
            args = getattr(node, "args", None)
            if args is not None:
                stack.extend(d for d in (*args.defaults, *args.kw_defaults) if d is not None)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _bound_names(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
        yield node.id
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield node.name
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            yield (alias.asname or alias.name).split(".")[0]
    elif isinstance(node, ast.ExceptHandler) and node.name:
        yield node.name
    elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
        yield node.name
    elif isinstance(node, ast.MatchMapping) and node.rest:
        yield node.rest


def parameter_names(args: ast.arguments) -> list[str]:
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    if args.vararg:
        names.append(args.vararg.arg)
    if args.kwarg:
        names.append(args.kwarg.arg)
    return names


def function_kind(node: FunctionNode) -> int:
    yields = any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _own_scope_nodes(node.body))
    if isinstance(node, ast.AsyncFunctionDef):
        return KIND_ASYNC_GENERATOR if yields else KIND_COROUTINE
    return KIND_GENERATOR if yields else KIND_FUNCTION


def _split_docstring(body: list[ast.stmt]) -> tuple[list[ast.stmt], list[ast.stmt]]:
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return [first], body[1:]
    return [], body


def _handler_body(qualname: str, kind: int) -> list[ast.stmt]:
    call = (
        f"{HANDLER_NAME}({_EXC}, {qualname!r}, {kind})"
        if kind in (KIND_GENERATOR, KIND_ASYNC_GENERATOR)
        else f"{_RES} = {HANDLER_NAME}({_EXC}, {qualname!r}, {kind})"
    )
    if kind in (KIND_GENERATOR, KIND_ASYNC_GENERATOR):
        # A generator is never re-run in place: items already consumed would
        # be yielded again.  The runtime either lets it propagate or raises a
        # restart request aimed at a caller.
        src = f"{call}\nraise\n"
    else:
        result = f"await {_RES}" if kind == KIND_COROUTINE else _RES
        src = f"{call}\nif {_RES} is {HANDLER_NAME}:\n    raise\nreturn {result}\n"
    return ast.parse(src).body


def instrument_function(node: FunctionNode, qualname: str) -> bool:
    """Wrap one def's body in the trampoline, in place; False if nothing to wrap."""
    doc, rest = _split_docstring(node.body)
    if not rest:
        return False
    kind = function_kind(node)
    params = set(parameter_names(node.args))
    rebound = sorted(
        params.intersection(name for n in _own_scope_nodes(rest) for name in _bound_names(n))
    )
    snapshots: list[ast.stmt] = [
        ast.Assign(
            targets=[ast.Name(ARG_SNAPSHOT_PREFIX + name, ast.Store())],
            value=ast.Name(name, ast.Load()),
        )
        for name in rebound
    ]
    handler = ast.ExceptHandler(
        type=ast.Name("BaseException", ast.Load()), name=_EXC, body=_handler_body(qualname, kind)
    )
    trampoline = ast.Try(body=rest, handlers=[handler], orelse=[], finalbody=[])
    # Positions: the try itself sits on the first body line so that 3.10's
    # SETUP_FINALLY adds no line event; the handler reports the def line.
    ast.copy_location(trampoline, rest[0])
    for stmt in snapshots:
        _locate_all(stmt, node)
    _locate_all(handler, node)
    node.body = [*doc, *snapshots, trampoline]
    return True


def _locate_all(tree: ast.AST, where: ast.AST) -> None:
    for n in ast.walk(tree):
        if "lineno" in n._attributes:
            ast.copy_location(n, where)


class _Instrumenter(ast.NodeVisitor):
    """Walks a module, tracking qualified names the way CPython computes them."""

    def __init__(self) -> None:
        self.prefix: list[str] = []
        self.count = 0

    def _visit_scope(self, node: ast.AST, name: str, child_prefix: str) -> None:
        self.prefix.append(child_prefix)
        for stmt in getattr(node, "body", []):
            self.visit(stmt)
        self.prefix.pop()

    def _qualname(self, name: str) -> str:
        return (self.prefix[-1] if self.prefix else "") + name

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._visit_def(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._visit_def(node)

    def _visit_def(self, node: FunctionNode) -> None:
        if any(is_opt_out_decorator(d) for d in node.decorator_list):
            return
        qualname = self._qualname(node.name)
        # Nested defs first: instrument_function moves the body into a try.
        self._visit_scope(node, node.name, qualname + ".<locals>.")
        if instrument_function(node, qualname):
            self.count += 1

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if any(is_opt_out_decorator(d) for d in node.decorator_list):
            return
        qualname = self._qualname(node.name)
        self._visit_scope(node, node.name, qualname + ".")


def instrument_tree(tree: ast.Module, prefix: str = "") -> int:
    """Instrument every def in ``tree`` in place; returns how many were wrapped.

    ``prefix`` is the qualified-name prefix of the scope the tree's top level
    stands for (``"C."`` for a class body, ``"f.<locals>."`` inside a def).
    """
    visitor = _Instrumenter()
    if prefix:
        visitor.prefix.append(prefix)
    for stmt in tree.body:
        visitor.visit(stmt)
    return visitor.count


def instrument_source(source: str | bytes, filename: str) -> CodeType:
    """Parse, instrument and compile a whole module (what the import hook runs)."""
    tree = ast.parse(source, filename)
    if not module_opts_out(tree):
        instrument_tree(tree)
    return compile(tree, filename, "exec", dont_inherit=True)


def iter_code(code: CodeType) -> Iterator[CodeType]:
    """``code`` and every code object nested in its constants."""
    stack = [code]
    while stack:
        c = stack.pop()
        yield c
        stack.extend(k for k in c.co_consts if isinstance(k, CodeType))


def is_instrumented(code: CodeType) -> bool:
    """Instrumented code, and only it, names the handler global."""
    return HANDLER_NAME in code.co_names
