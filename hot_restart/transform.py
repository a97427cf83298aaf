"""The AST transform that gives every function a restart trampoline.

Each instrumented ``def`` keeps its body, its line numbers and its identity;
the body is wrapped in ``try: ... except __hot_restart__.catching`` whose
handler asks the runtime (``__hot_restart__``, a global the loader injects)
what to do.  ``catching`` is () while no prompt is possible in the process:
then no exception is caught at all, and passing an instrumented frame costs
what it costs plain (see _catching).
On Python 3.11+ an untaken ``try`` costs nothing, so the happy path runs the
same bytecode as the plain function.  The generated statements take no line
of their own (see ``_NOWHERE``): a tracer sees the lines the plain function
runs, and a re-run leaves no frame of the crashed call in tracebacks.  The same transform serves the import
hook, the classic ``wrap`` API and reloaded surrogates: one mechanism.

The handler passes the function's qualified name and its kind as constants,
so the runtime never has to guess them on 3.10 (which lacks ``co_qualname``).

A restart re-runs the function with its arguments as they were at entry.  A
function whose body rebinds a parameter (itself or through ``nonlocal`` in a
nested def), or may change its ``**kwargs`` dict, records them on entry in a
store outside the frame (``_record_entry``), keyed by the running frame and
dropped by a ``finally`` when the call ends, so no local variable is added and
nothing outlives the call; every other function pays nothing.  The record is
made only while ``catching`` says a prompt is possible (a restart needs one);
a frame that started without it says so rather than re-run with rebound
values (see session.original_arguments).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from types import CodeType
from typing import Any

from .constants import (
    CATCHING_ATTR,
    ENTRY_FRAME_ATTR,
    ENTRY_STORE_ATTR,
    HANDLER_NAME,
    SKIP_MARKER,
    TRANSFORM_VERSION,
)

__all__ = [
    "ENTRY_FRAME_ATTR",
    "ENTRY_STORE_ATTR",
    "HANDLER_NAME",
    "SKIP_MARKER",
    "TRANSFORM_VERSION",
]

# Kinds passed to the handler; the runtime restarts each kind differently.
KIND_FUNCTION = 0
KIND_GENERATOR = 1
KIND_COROUTINE = 2
KIND_ASYNC_GENERATOR = 3

_LOAD = ast.Load()
_STORE = ast.Store()
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


def kind_of(flags: int) -> int:
    """The kind of a running function, from its code flags (for the runtime)."""
    if flags & 0x200:  # CO_ASYNC_GENERATOR
        return KIND_ASYNC_GENERATOR
    if flags & 0x80:  # CO_COROUTINE
        return KIND_COROUTINE
    if flags & 0x20:  # CO_GENERATOR
        return KIND_GENERATOR
    return KIND_FUNCTION


def _split_docstring(body: list[ast.stmt]) -> tuple[list[ast.stmt], list[ast.stmt]]:
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return [first], body[1:]
    return [], body


class _Placer:
    """Makes generated nodes at one source position, in one constructor call each."""

    __slots__ = ("pos",)

    def __init__(self, where: ast.stmt | ast.expr) -> None:
        # Any: typeshed wants ints, and end positions are Optional on nodes.
        self.pos: dict[str, Any] = {
            "lineno": where.lineno,
            "col_offset": where.col_offset,
            "end_lineno": where.end_lineno,
            "end_col_offset": where.end_col_offset,
        }

    def name(self, name: str, store: bool = False) -> ast.Name:
        return ast.Name(name, _STORE if store else _LOAD, **self.pos)


# Python 3.10 has no ``co_qualname``, so there the handler is told the name.
_PASS_QUALNAME = sys.version_info < (3, 11)

# Generated statements that must not start a line of their own: the
# compiler gives an instruction at line -1 no line (3.11+), or the line of
# the instruction before it (3.10, and a fall-through exit on every
# version), which is what plain code gets for its implicit ``return None``.
_NOWHERE: dict[str, Any] = {"lineno": -1, "col_offset": -1, "end_lineno": -1, "end_col_offset": -1}


def _handler_ref(pos: dict[str, Any]) -> ast.expr:
    """The expression by which generated code reaches the runtime (one place)."""
    return ast.Name(HANDLER_NAME, _LOAD, **pos)


def _ask(qualname: str, pos: dict[str, Any]) -> ast.Call:
    args: list[ast.expr] = [ast.Constant(qualname, **pos)] if _PASS_QUALNAME else []
    return ast.Call(_handler_ref(pos), args, [], **pos)


def _handler(qualname: str, at: _Placer) -> ast.ExceptHandler:
    """An ``except`` asking the runtime what to do::

        except __hot_restart__ and __hot_restart__.catching or ():
            while True:
                try:
                    if not __hot_restart__():
                        break                      # reloaded: re-run it (see _rerun)
                except:
                    pass
                raise

    The bare ``raise`` keeps the exception and its traceback exactly as they
    were.  At the recursion limit the call itself fails: the original
    exception is re-raised then too, with no new ``__context__``.  The
    runtime never raises on purpose (a restart of an outer frame unwinds
    from the re-run statement), so whatever it raised is not the program's
    business: the program's own exception goes on.  The loop never loops:
    it only gives ``break`` a way out of the ``except`` block that skips
    the ``raise``.

    With nothing caught (see _catching) the frame ends on no line (its
    ``f_lineno`` is None in the tracer's 'return' event); bdb's stepping
    cannot take that, so handlers catch while a debugger is loaded (see
    state._DEBUGGERS).

    Positions: everything up to the runtime's answer has none, so entering
    the handler reports no line to a tracer (pdb, coverage).  The ``raise``
    has the def line (a frame must always have a line: bdb compares it), and
    the runtime switches line events off for the frame before answering
    "re-raise" when a tracer runs (see trampoline.handle).
    Every byte here is paid by every instrumented function when a module
    loads, and every local variable by every call, so there are none.
    """
    pos = at.pos
    no = _NOWHERE
    ask = ast.If(ast.UnaryOp(ast.Not(), _ask(qualname, no), **no), [ast.Break(**pos)], [], **no)
    guard = ast.Try([ask], [ast.ExceptHandler(None, None, [ast.Pass(**no)], **no)], [], [], **no)
    loop = ast.While(ast.Constant(True, **no), [guard, ast.Raise(**pos)], [], **no)
    return ast.ExceptHandler(_catching(no), None, [loop], **no)


def _catching(pos: dict[str, Any]) -> ast.expr:
    """``__hot_restart__ and __hot_restart__.catching or ()``: what the handler catches.

    ``catching`` is BaseException while a prompt is possible in this process,
    and () when none ever can be: then nothing is caught, and an exception
    unwinds the frame exactly as in plain code (no handler runs, no
    re-raise).  Only loads and truth tests, never a call: evaluated with the
    program's exception in flight, it must not raise (a call could hit the
    recursion limit).  A module whose globals are torn down at interpreter
    exit has None there (``__del__`` methods may still run): () then too,
    rather than an AttributeError that would replace the program's error.
    """
    return ast.BoolOp(ast.Or(), [_present(CATCHING_ATTR, pos), ast.Tuple([], _LOAD, **pos)], **pos)


def _rerun(is_async: bool, at: _Placer, *, in_async_generator: bool = False) -> ast.stmt:
    """``return __hot_restart__(None)()``, after the ``try`` statement.

    ``__hot_restart__(None)`` hands over the reloaded function with the
    original arguments bound (a ``functools.partial``: no frame of ours in
    tracebacks), and calling it outside the ``except`` block keeps the old
    exception out of the ``__context__`` of anything the re-run raises.
    For a restart of an outer frame (always, from a generator) it hands
    over a call that raises the request unwinding to that frame; an async
    generator, where ``return <value>`` is a syntax error, only ever gets
    that one: there the statement is the bare call.

    Whatever leaves the re-run passes through this statement, which would
    add this (crashed) frame to its traceback, once per re-run::

        while True:
            try:
                return __hot_restart__(None)()
            except:
                if __hot_restart__(False):
                    raise

    ``__hot_restart__(False)`` drops that entry and says "re-raise"; the
    bare ``raise`` adds none, so the traceback is the one of a plain call
    to the last version.  It says "again" when the debugger's ``restart``
    targets this frame (which sits in this statement while its re-run
    runs).  It costs nothing until a re-run fails.
    """
    pos = at.pos
    take = ast.Call(_handler_ref(pos), [ast.Constant(None, **pos)], [], **pos)
    result: ast.expr = ast.Call(take, [], [], **pos)
    if in_async_generator:
        return ast.Expr(result, **pos)
    if is_async:
        result = ast.Await(result, **pos)
    failed = ast.Call(_handler_ref(pos), [ast.Constant(False, **pos)], [], **pos)
    reraise = ast.If(failed, [ast.Raise(**pos)], [], **pos)
    attempt = ast.Try(
        [ast.Return(result, **pos)],
        [ast.ExceptHandler(None, None, [reraise], **pos)],
        [],
        [],
        **pos,
    )
    return ast.While(ast.Constant(True, **pos), [attempt], [], **pos)


def _first_run(body: list[ast.stmt]) -> ast.stmt | ast.expr:
    """What the first line event of a body reports: its first statement that
    compiles to code (or that statement's first decorator)."""
    for stmt in body:
        if isinstance(stmt, (ast.Global, ast.Nonlocal)):
            continue
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if stmt.decorator_list:
                return stmt.decorator_list[0]
        return stmt
    return body[0]


# Calls that only read a dict, by the builtin's name (a shadowed builtin that
# mutates its argument is not worth a copy on every call).
_READING_BUILTINS = frozenset(
    (
        "len",
        "dict",
        "list",
        "tuple",
        "set",
        "frozenset",
        "sorted",
        "bool",
        "repr",
        "str",
        "any",
        "all",
    )
)
_READING_METHODS = frozenset(("get", "keys", "values", "items", "copy", "__contains__", "__len__"))


def _parents(body: list[ast.stmt]) -> Iterator[tuple[ast.AST, ast.AST]]:
    """(parent, child) pairs of every node under these statements, nested scopes included."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            yield node, child
            stack.append(child)


def _only_read(body: list[ast.stmt], name: str) -> bool:
    """True if every use of the dict ``name`` in ``body`` certainly leaves it as it is.

    Reads are ``**name``, ``name[k]``, ``name.get(...)`` (and the other
    read-only methods), ``k in name``, ``len(name)``, iteration and truth
    tests; anything else (``name.pop``, passing it on, aliasing it, a use in a
    nested scope that may be the same dict) might change it.  Conservative: a
    wrong "no" costs one dict copy per call, a wrong "yes" a wrong re-run.
    """
    for parent, child in _parents(body):
        if not (isinstance(child, ast.Name) and child.id == name):
            continue
        if not isinstance(child.ctx, ast.Load):
            continue  # rebinding or ``del``: the symbol table's business
        if isinstance(parent, ast.keyword) and parent.arg is None:
            continue  # f(**name)
        if isinstance(parent, ast.Dict) and any(
            k is None and v is child for k, v in zip(parent.keys, parent.values, strict=True)
        ):
            continue  # {**name}
        if isinstance(parent, ast.Subscript) and parent.value is child:
            if isinstance(parent.ctx, ast.Load):
                continue  # name[k]
            return False
        if isinstance(parent, ast.Attribute) and parent.value is child:
            if parent.attr in _READING_METHODS:
                continue
            return False
        if isinstance(parent, ast.Compare):
            continue
        if isinstance(parent, (ast.If, ast.While, ast.IfExp, ast.Assert)) and parent.test is child:
            continue
        if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not):
            continue
        if isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension)) and parent.iter is child:
            continue
        if (
            isinstance(parent, ast.Call)
            and isinstance(parent.func, ast.Name)
            and parent.func.id in _READING_BUILTINS
            and child in parent.args
        ):
            continue
        return False
    return True


def _nonlocal_names(body: list[ast.stmt]) -> set[str]:
    """Names declared ``nonlocal`` anywhere under these statements."""
    return {name for _, n in _parents(body) if isinstance(n, ast.Nonlocal) for name in n.names}


def _entry_record(
    node: FunctionNode, rebound: frozenset[str], used: frozenset[str] | None
) -> list[tuple[str, bool]]:
    """The parameters to record on entry, in signature order, each with "copy it".

    Rebound parameters are recorded as passed; the ``**kwargs`` dict is
    copied when the body may change it (never when ``used``, the parameters
    the symbol table saw referenced, lacks it: no walk then).  ``*args`` is a
    tuple: only rebinding matters.  Anything else a parameter refers to (a
    list the body appends to, an iterator it consumes) cannot be restored.
    """
    kwarg = node.args.kwarg.arg if node.args.kwarg else None
    copy_kwarg = (
        kwarg is not None and (used is None or kwarg in used) and not _only_read(node.body, kwarg)
    )
    if not rebound and not copy_kwarg:
        return []
    # A generator is never re-run in place (its consumer is restarted), so
    # recording its arguments would only keep them alive.
    if function_kind(node) in (KIND_GENERATOR, KIND_ASYNC_GENERATOR):
        return []
    return [
        (name, name == kwarg and copy_kwarg)
        for name in parameter_names(node.args)
        if name in rebound or (name == kwarg and copy_kwarg)
    ]


def _entry_store(pos: dict[str, Any]) -> ast.expr:
    return ast.Attribute(ast.Name(HANDLER_NAME, _LOAD, **pos), ENTRY_STORE_ATTR, _LOAD, **pos)


def _this_frame(pos: dict[str, Any]) -> ast.expr:
    getter = ast.Attribute(ast.Name(HANDLER_NAME, _LOAD, **pos), ENTRY_FRAME_ATTR, _LOAD, **pos)
    return ast.Call(getter, [], [], **pos)


def _first_evaluated(body: list[ast.stmt]) -> ast.stmt | ast.expr:
    """The node whose code runs first in ``body``, as far as a cheap look tells.

    A statement's first instruction is often not on its first line
    (``x = (\n  a\n)`` loads ``a`` first); code recorded before it must
    report that instruction's line, or a tracer sees one line more.  The
    descent follows evaluation order for the usual shapes and stops at
    anything else, whose own first line is then the answer.
    """
    node: ast.stmt | ast.expr = _first_run(body)
    while True:
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.Expr, ast.Return)) and node.value:
            node = node.value
        elif isinstance(node, ast.AugAssign):
            node = node.target.value if isinstance(node.target, ast.Attribute) else node.target
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, (ast.Attribute, ast.Subscript, ast.Await)):
            node = node.value
        elif isinstance(node, ast.BinOp):
            node = node.left
        elif isinstance(node, ast.Compare):
            node = node.left
        elif isinstance(node, ast.BoolOp):
            node = node.values[0]
        elif isinstance(node, (ast.If, ast.While)):
            node = node.test
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            node = node.iter
        else:
            return node


def _first_line_of(stmt: ast.stmt | ast.expr) -> _Placer:
    """A position on the first line of ``stmt`` only.

    The record runs just before ``stmt`` and must report the line ``stmt``
    starts on, and nothing else: an attribute load reports the line its name
    ends on, so a position spanning lines would add line events.
    """
    at = _Placer(stmt)
    at.pos["end_lineno"] = stmt.lineno
    at.pos["end_col_offset"] = stmt.col_offset
    return at


def _record_entry(
    record: list[tuple[str, bool]],
    at: _Placer,
    handler_at: _Placer,
    body: list[ast.stmt],
    falls_off: bool = False,
) -> list[ast.stmt]:
    """``body`` between recording the entry arguments and dropping them.

    ``if __hot_restart__ and __hot_restart__.catching:
    __hot_restart__.entry_arguments[__hot_restart__.this_frame()] =
    (("a", "options"), a, {**options})`` first (only while a prompt is
    possible: a restart needs one; a tuple: cheaper to build than a dict;
    only C calls: no trace or profile event of a Python function), then
    ``try: (try: body finally: if <the store is not empty>: ....pop(this_frame(),
    None)) except <catching>: raise``: the drop costs one truth test when
    nothing was recorded anywhere (but in a body that ``falls_off`` its end,
    see below).  On 3.10 the record is always made and always dropped, as
    before ``catching``: there a jump over it would add a line event.
    The record sits on the first line of the ``try`` it precedes (which runs
    next anyway).  The drop has no position, so that after a ``return`` it
    reports the return's line and adds no line event.  Where an exception
    leaves, a ``finally`` with no position would leave the finished frame's
    ``f_lineno`` None (bdb's stepping compares it with an int and fails), so
    the outer ``except: raise``, at ``handler_at`` (the trampoline handler's
    position, kept in step with it), is the last to raise and gives the frame
    the line the handler gives it; its cost is a repeated 'line' event there.
    The record is keyed by frame because coroutines interleave on one thread,
    and popped with a default so that it can never replace the user's exception.
    """
    pos = at.pos
    # A tuple of constants: the compiler folds it into one constant.
    names = ast.Tuple([ast.Constant(name, **pos) for name, _ in record], _LOAD, **pos)
    values: list[ast.expr] = [
        ast.Dict([None], [at.name(name)], **pos) if copy else at.name(name) for name, copy in record
    ]
    target = ast.Subscript(_entry_store(pos), _this_frame(pos), _STORE, **pos)
    store = ast.Assign([target], ast.Tuple([names, *values], _LOAD, **pos), **pos)
    # 3.10 gives the instructions after a jump target no line, and reports the
    # body's first line again after them: there the record is not gated.
    when = ast.If(_present(CATCHING_ATTR, pos), [store], [], **pos) if _GATED else store
    none = _NOWHERE
    pop = ast.Attribute(_entry_store(none), "pop", _LOAD, **none)
    drop = ast.Expr(
        ast.Call(pop, [_this_frame(none), ast.Constant(None, **none)], [], **none), **none
    )
    if falls_off or not _GATED:
        # Branch-free: the fall-off ``return`` and this drop must stay one
        # block without a line, which the compiler copies to each jump that
        # reaches it (an ``if`` with no ``else``): plain code's implicit
        # return gets the jump's line that way.  A branch here would give it
        # the last line compiled instead: a line event more.
        dropping: ast.stmt = drop
    else:
        dropping = ast.If(_present(ENTRY_STORE_ATTR, none), [drop], [], **none)
    dropped = ast.Try(body, [], [], [dropping], **none)
    mirror = handler_at.pos
    reraise = ast.ExceptHandler(_catching(none), None, [ast.Raise(**mirror)], **none)
    return [when, ast.Try([dropped], [reraise], [], [], **none)]


# Recording only while a prompt is possible (3.11+; see _record_entry).
_GATED = sys.version_info >= (3, 11)


def _present(attr: str, pos: dict[str, Any]) -> ast.expr:
    """``__hot_restart__ and __hot_restart__.<attr>``: true when the handler is
    there (see _catching: at interpreter exit it may be None) and ``attr`` is."""
    flag = ast.Attribute(_handler_ref(pos), attr, _LOAD, **pos)
    return ast.BoolOp(ast.And(), [_handler_ref(pos), flag], **pos)


def instrument_function(
    node: FunctionNode,
    qualname: str,
    rebound: frozenset[str] | None = None,
    used: frozenset[str] | None = None,
) -> bool:
    """Wrap one def's body in the trampoline, in place; False if nothing to wrap.

    ``rebound``: the parameters the body assigns (or a nested def assigns
    through ``nonlocal``), and ``used``: the parameters it (or a nested def)
    refers to at all, when the caller already knows them (from ``symtable``);
    otherwise they are found by a walk.
    """
    doc, rest = _split_docstring(node.body)
    if not rest:
        return False
    is_async = isinstance(node, ast.AsyncFunctionDef)
    async_generator = is_async and function_kind(node) == KIND_ASYNC_GENERATOR
    handler = _handler(qualname, _Placer(node))
    if rebound is None:
        params = set(parameter_names(node.args))
        bound = {name for n in _own_scope_nodes(rest) for name in _bound_names(n)}
        rebound = frozenset(params.intersection(bound | _nonlocal_names(rest)))
    record = _entry_record(node, rebound, used)
    at = _Placer(node)
    # The ``try`` has no position: at the first body line it would report a
    # A body that can end without ``return`` must not fall through to the
    # re-run: ``else: return`` is what falling off the end does anyway, and
    # without a position it gets the line plain code gives that return.
    ends = isinstance(rest[-1], (ast.Return, ast.Raise))
    orelse: list[ast.stmt] = [] if ends else [ast.Return(None, **_NOWHERE)]
    trampoline = ast.Try(rest, [handler], orelse, [], **_NOWHERE)
    guarded = (
        # On the line of the body's first instruction: the line event it then
        # makes is the one that instruction would make.
        _record_entry(
            record,
            _first_line_of(_first_evaluated(rest)),
            _Placer(node),
            [trampoline],
            falls_off=not ends,
        )
        if record
        else [trampoline]
    )
    rerun = _rerun(is_async, at, in_async_generator=async_generator)
    node.body = [*doc, *guarded, rerun]
    return True


_SCOPE_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


# Per function, by (name, def line): the parameters it rebinds, and those it uses.
_Rebinds = dict[tuple[str, int], tuple[frozenset[str], frozenset[str]]]


def _instrument_statements(stmts: list[ast.stmt], prefix: str, rebinds: _Rebinds | None) -> int:
    """Instrument the defs among these statements and those nested in them.

    Only statements are visited (defs cannot hide in expressions), which is
    what keeps a 13,000-line module affordable.
    """
    count = 0
    for stmt in stmts:
        if isinstance(stmt, _SCOPE_DEFS):
            if any(is_opt_out_decorator(d) for d in stmt.decorator_list):
                continue
            qualname = prefix + stmt.name
            # Nested defs first: instrument_function moves the body into a try.
            count += _instrument_statements(stmt.body, qualname + ".<locals>.", rebinds)
            known = rebinds.get((stmt.name, stmt.lineno)) if rebinds is not None else None
            if instrument_function(stmt, qualname, *(known or ())):
                count += 1
        elif isinstance(stmt, ast.ClassDef):
            if any(is_opt_out_decorator(d) for d in stmt.decorator_list):
                continue
            count += _instrument_statements(stmt.body, prefix + stmt.name + ".", rebinds)
        else:
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, field, None)
                if inner:
                    count += _instrument_statements(inner, prefix, rebinds)
            for part in (*getattr(stmt, "handlers", ()), *getattr(stmt, "cases", ())):
                count += _instrument_statements(part.body, prefix, rebinds)
    return count


def _rebinds_from_symtable(source: str | bytes, filename: str) -> _Rebinds | None:
    """Parameters each function assigns, and those it uses, by (name, def line), from C's symtable.

    A parameter that a nested def assigns through ``nonlocal`` counts as
    assigned; one a nested def refers to counts as used.

    The symbol table is built in C, several times faster than walking every
    expression of every function in Python.
    """
    import symtable

    out: _Rebinds = {}
    try:
        if isinstance(source, bytes):
            from importlib.util import decode_source  # honours a coding cookie

            source = decode_source(source)
        stack = [symtable.symtable(source, filename, "exec")]
    except (SyntaxError, ValueError, UnicodeDecodeError):
        return None  # compile() reports it, exactly as a plain import would
    while stack:
        table = stack.pop()
        stack.extend(table.get_children())
        if isinstance(table, symtable.Function):
            free: set[str] = set()
            assigned_free: set[str] = set()
            for child in table.get_children():
                _free_names(child, free, assigned_free)
            params = table.get_parameters()
            rebound = frozenset(
                name
                for name in params
                if (symbol := table.lookup(name)).is_assigned()
                or symbol.is_imported()
                or name in assigned_free
            )
            used = frozenset(
                name for name in params if table.lookup(name).is_referenced() or name in free
            )
            out[(table.get_name(), table.get_lineno())] = (rebound, used)
    return out


def _free_names(table: Any, free: set[str], assigned: set[str]) -> None:
    """Add the names this scope or one nested in it takes from an enclosing one
    to ``free``, and those it assigns there (``nonlocal``) to ``assigned``.

    Counted whatever they resolve to: an extra record is only a tuple item.
    """
    for symbol in table.get_symbols():
        if symbol.is_free():
            free.add(symbol.get_name())
            if symbol.is_assigned() or symbol.is_imported():
                assigned.add(symbol.get_name())
    for child in table.get_children():
        _free_names(child, free, assigned)


def instrument_tree(tree: ast.Module, prefix: str = "", source: str | bytes | None = None) -> int:
    """Instrument every def in ``tree`` in place; returns how many were wrapped.

    ``prefix`` is the qualified-name prefix of the scope the tree's top level
    stands for (``"C."`` for a class body, ``"f.<locals>."`` inside a def).
    With ``source`` (the text ``tree`` was parsed from), rebound parameters
    come from the symbol table instead of a walk of each function.
    """
    rebinds = _rebinds_from_symtable(source, "<instrumented>") if source is not None else None
    # (A file name is not needed: a SyntaxError from symtable is left to compile.)
    return _instrument_statements(tree.body, prefix, rebinds)


def _bind_handler(tree: ast.Module) -> None:
    """Start the module with ``from hot_restart.runtime.trampoline import handle as __hot_restart__``.

    The module binds the handler itself, whatever namespace runs it (an
    import, runpy's ``python -m``, the runner): nothing is put in
    ``builtins``.  It goes after the docstring and ``from __future__``
    imports, on the line of the statement that follows, so that tracers see
    no line of its own.
    """
    body = tree.body
    i = 1 if _split_docstring(body)[0] else 0
    while i < len(body):
        stmt = body[i]
        if not (isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"):
            break
        i += 1
    if i == len(body):
        return  # nothing after: no def either
    at = _Placer(body[i]).pos
    alias = ast.alias("handle", HANDLER_NAME, **at)
    body.insert(i, ast.ImportFrom("hot_restart.runtime.trampoline", [alias], 0, **at))


def instrument_source(
    source: str | bytes, filename: str, *, bind_handler: bool = False
) -> CodeType:
    """Parse, instrument and compile a whole module (what the import hook runs).

    ``bind_handler``: the module binds the handler itself (``_bind_handler``);
    the import hook and the runner ask for it, callers that exec the code in
    a namespace they provide with the handler do not.

    The cyclic garbage collector is paused meanwhile: the AST of a large
    module is hundreds of thousands of objects, and collections triggered by
    allocating them would scan them all again and again (a third of the time).
    """
    import gc

    paused = gc.isenabled()
    gc.disable()
    try:
        tree = ast.parse(source, filename)
        if not module_opts_out(tree) and instrument_tree(tree, source=source) and bind_handler:
            _bind_handler(tree)
        return compile(tree, filename, "exec", dont_inherit=True)
    finally:
        if paused:
            gc.enable()


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


def records_entry(code: CodeType) -> bool:
    """The generated code of this function records its entry arguments (see _record_entry)."""
    names = code.co_names
    return HANDLER_NAME in names and ENTRY_STORE_ATTR in names and ENTRY_FRAME_ATTR in names
