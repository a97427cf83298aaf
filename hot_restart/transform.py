"""The AST transform that gives every function a restart trampoline.

Each instrumented ``def`` keeps its body, its line numbers and its identity;
the body is wrapped in ``try: ... except __hot_restart_catching__ or ()``
whose handler asks the runtime (``__hot_restart__``) what to do; the module
binds both globals itself (see _bind_handler).  ``catching`` is () while no
prompt is possible in the process: then no exception is caught at all, and
passing an instrumented frame costs what it costs plain (see _catching).
On Python 3.11+ an untaken ``try`` costs nothing, so the happy path runs the
same bytecode as the plain function.  The generated statements take no line
of their own (see ``_NOWHERE``): a tracer sees the lines the plain function
runs, and a re-run leaves no frame of the crashed call in tracebacks.  The
same transform serves the import hook, the classic ``wrap`` API and
reloaded surrogates: one mechanism.

The handler passes the function's qualified name and its kind as constants,
so the runtime never has to guess them on 3.10 (which lacks ``co_qualname``).

A restart re-runs the function with its arguments as they were at entry.  A
function whose body rebinds a parameter (itself or through ``nonlocal`` in a
nested def), or may change its ``**kwargs`` dict, records them on entry in a
store outside the frame (``_record_entry``), keyed by the running frame and
dropped when the call ends (at its ``return``, or by the runtime when an
exception leaves), so no local variable is added and nothing outlives the
call; every other function pays nothing.  The record is
made only while ``catching`` says a prompt is possible (a restart needs one);
a frame that started without it says so rather than re-run with rebound
values (see session.original_arguments).
"""

from __future__ import annotations

import ast
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from itertools import accumulate
from types import CodeType
from typing import Any

from .constants import (
    CATCHING_NAME,
    ENTRY_DROP_ATTR,
    ENTRY_FRAME_ATTR,
    ENTRY_STORE_ATTR,
    HANDLER_NAME,
    SKIP_MARKER,
    TRANSFORM_VERSION,
)

__all__ = [
    "CATCHING_NAME",
    "ENTRY_DROP_ATTR",
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


def mangle(class_name: str | None, name: str) -> str:
    """The name CPython gives ``name`` in code compiled inside class ``class_name``.

    ``__x`` in a class body, or in a def nested anywhere in it, is ``_C__x``
    in the code object (a parameter in ``co_varnames`` too); dunder names are
    left alone, and so is everything in a class whose name is all underscores.
    The source keeps ``__x``: only strings the compiler does not see (the
    names in an entry record) need this.
    """
    if class_name is None or not name.startswith("__") or name.endswith("__"):
        return name
    stripped = class_name.lstrip("_")
    return f"_{stripped}{name}" if stripped else name


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

        except __hot_restart_catching__ or ():
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
    asked = _NOT_ASKED if _NOT_ASKED is not None else _not_asked(qualname)
    ask = ast.If(asked, [ast.Break(**pos)], [], **no)
    guard = ast.Try([ask], [_SWALLOW], [], [], **no)
    loop = ast.While(_TRUE, [guard, ast.Raise(**pos)], [], **no)
    return ast.ExceptHandler(_CATCHING, None, [loop], **no)


def _not_asked(qualname: str) -> ast.expr:
    """``not __hot_restart__()`` (3.10: ``not __hot_restart__("<qualname>")``)."""
    return ast.UnaryOp(ast.Not(), _ask(qualname, _NOWHERE), **_NOWHERE)


def _catching(pos: dict[str, Any]) -> ast.expr:
    """``__hot_restart_catching__ or ()``: what the handler catches.

    The global is BaseException while a prompt is possible in this process,
    and () when none ever can be: then nothing is caught, and an exception
    unwinds the frame exactly as in plain code (no handler runs, no
    re-raise).  Only a load and a truth test, never a call: evaluated with
    the program's exception in flight, it must not raise (a call could hit
    the recursion limit).  A module whose globals are torn down at
    interpreter exit has None there (``__del__`` methods may still run): ()
    then too, rather than a TypeError that would replace the program's error.
    """
    return ast.BoolOp(ast.Or(), [_catching_flag(pos), ast.Tuple([], _LOAD, **pos)], **pos)


def _catching_flag(pos: dict[str, Any]) -> ast.expr:
    """``__hot_restart_catching__``: true while a prompt is possible (see _catching)."""
    return ast.Name(CATCHING_NAME, _LOAD, **pos)


# Generated nodes with no position are the same in every function: they are
# made once and shared (compile reads a tree; nothing here changes them), where
# making them for each def was a tenth of instrumenting a module of small
# functions.
_CATCHING = _catching(_NOWHERE)
_SWALLOW = ast.ExceptHandler(None, None, [ast.Pass(**_NOWHERE)], **_NOWHERE)
_TRUE = ast.Constant(True, **_NOWHERE)
_NOT_ASKED = None if _PASS_QUALNAME else _not_asked("")


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


def _parents(
    body: list[ast.stmt], lines: list[int] | None = None
) -> Iterator[tuple[ast.AST, ast.AST]]:
    """(parent, child) pairs of every node under these statements, nested scopes included.

    With ``lines`` (sorted line numbers), subtrees whose positions cover none
    of them are skipped: a name written only on those lines cannot be in them.
    Nodes inside an f-string are never skipped (before 3.12 their positions
    can be off), nor nodes without a position (such as ``_NOWHERE``).
    """
    stack: list[ast.AST] = list(body if lines is None else (s for s in body if _covers(s, lines)))
    while stack:
        node = stack.pop()
        for field in node._fields:
            value = getattr(node, field, None)
            for child in value if type(value) is list else (value,):
                # Operators and contexts hold nothing: not worth a visit.
                if not isinstance(child, ast.AST) or isinstance(child, _CHILDLESS):
                    continue
                if lines is not None and not _covers(child, lines):
                    continue
                yield node, child
                stack.append(child)


_CHILDLESS = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)


def _covers(node: ast.AST, lines: list[int]) -> bool:
    first = getattr(node, "lineno", None)
    if first is None or first < 1 or isinstance(node, ast.JoinedStr):
        return True  # no position, or generated code around a nested def's body
    last = getattr(node, "end_lineno", None) or first
    i = bisect_left(lines, first)
    return i < len(lines) and lines[i] <= last


def _only_read(body: list[ast.stmt], name: str, lines: list[int] | None = None) -> bool:
    """True if every use of the dict ``name`` in ``body`` certainly leaves it as it is.

    ``lines``: the only lines where ``name`` can occur, when known (see ``_Text``).

    Reads are ``**name``, ``name[k]``, ``name.get(...)`` (and the other
    read-only methods), ``k in name``, ``len(name)``, iteration and truth
    tests; anything else (``name.pop``, passing it on, aliasing it, a use in a
    nested scope that may be the same dict) might change it.  Conservative: a
    wrong "no" costs one dict copy per call, a wrong "yes" a wrong re-run.
    """
    for parent, child in _parents(body, lines):
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


def _entry_record(
    node: FunctionNode, rebound: frozenset[str], kwarg_lines: list[int] | None = None
) -> list[tuple[str, bool]]:
    """The parameters to record on entry, in signature order, each with "copy it".

    Rebound parameters are recorded as passed; the ``**kwargs`` dict is
    copied when the body may change it (never when ``kwarg_lines``, the body
    lines where its name is written, is empty: no walk then).  ``*args`` is a
    tuple: only rebinding matters.  Anything else a parameter refers to (a
    list the body appends to, an iterator it consumes) cannot be restored.
    """
    kwarg = node.args.kwarg.arg if node.args.kwarg else None
    copy_kwarg = (
        kwarg is not None
        and (kwarg_lines is None or bool(kwarg_lines))
        and not _only_read(node.body, kwarg, kwarg_lines)
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


def _def_line(node: FunctionNode) -> _Placer:
    """The def line, with no columns: where the generated ``raise`` and re-run
    statement are (a frame must always have a line: bdb compares it).

    No columns: nothing there is ever shown with carets (a re-raise adds no
    traceback entry, and a failed re-run drops its own, see
    trampoline.rerun_failed), and the line table then spends one or two bytes
    on each of their instructions instead of three to five.
    """
    at = _Placer(node)
    at.pos.update(end_lineno=node.lineno, col_offset=-1, end_col_offset=-1)
    return at


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
    trampoline: ast.Try,
    falls_off: bool = False,
    class_name: str | None = None,
) -> list[ast.stmt]:
    """The ``trampoline`` statement, with the entry arguments recorded before it.

    ``if __hot_restart_catching__: <store>[<this frame>] = (("a", "options"),
    a, {**options})`` first (``<store>`` is the handler's
    ``__hot_restart_entries__``, ``<this frame>`` its
    ``__hot_restart_frame__()``: see constants): only while a prompt is
    possible (a restart needs one); a tuple: cheaper to build than a dict;
    only C calls: no trace or profile event of a Python function.  It sits
    on the first line of the statement it precedes (which runs next anyway).
    The record is keyed by frame because coroutines interleave on one thread.
    The names are those of the code object (see ``mangle``: ``class_name``
    is the class the def is compiled in), which session.original_arguments
    matches with ``co_varnames``.

    The record is dropped where the call ends, with no ``try`` of its own:
    an exception would pay for every handler it passes, in every recording
    frame, also when nothing was recorded (a parser that rebinds ``loc``
    and raises to backtrack pays that on every alternative).

    - Each ``return X`` of the body becomes ``return (X,
      __hot_restart_catching__ and <drop>(<this frame>, None))[0]``
      (``_dropping_returns``): X first, then the drop, which costs one
      truth test while nothing is recorded.  It runs before the ``finally``
      blocks and ``with`` exits the ``return`` passes: one of them raising
      then finds no record, and says so rather than re-run with rebound
      values (session.original_arguments).
    - Falling off the end: ``else: <drop>(<this frame>, None); return``
      on the trampoline.  Branch-free: the drop and the ``return`` must stay
      one block without a line, which the compiler copies to each jump that
      reaches it (an ``if`` with no ``else``), so that the implicit return
      gets the jump's line as in plain code; a branch would give it the
      last line compiled instead: a line event more.
    - An exception: the trampoline's handler catches everything while a
      record can exist, and the runtime drops it whatever it answers
      (trampoline.handle); when ``catching`` turns to (), the store is
      emptied (state.refresh_catching).

    On 3.10 the record is always made, as before ``catching`` (a jump over
    it would add a line event there), so it is dropped by a ``finally``
    that runs whatever the handler catches: ``try: (try: trampoline
    finally: drop) except <catching>: raise``.  A ``finally`` with no
    position would leave a finished frame's ``f_lineno`` None where an
    exception leaves (bdb's stepping compares it with an int and fails), so
    the outer ``except: raise``, at ``handler_at`` (the trampoline handler's
    position), is the last to raise and gives the frame the handler's line.
    """
    pos = at.pos
    # A tuple of constants: the compiler folds it into one constant.
    names = ast.Tuple(
        [ast.Constant(mangle(class_name, name), **pos) for name, _ in record], _LOAD, **pos
    )
    values: list[ast.expr] = [
        ast.Dict([None], [at.name(name)], **pos) if copy else at.name(name) for name, copy in record
    ]
    target = ast.Subscript(_entry_store(pos), _this_frame(pos), _STORE, **pos)
    store = ast.Assign([target], ast.Tuple([names, *values], _LOAD, **pos), **pos)
    none = _NOWHERE
    if _GATED:
        _dropping_returns(trampoline.body)
        if falls_off:
            trampoline.orelse = [ast.Expr(_drop(none), **none), *trampoline.orelse]
        return [ast.If(_catching_flag(pos), [store], [], **pos), trampoline]
    dropped = ast.Try([trampoline], [], [], [ast.Expr(_drop(none), **none)], **none)
    mirror = handler_at.pos
    reraise = ast.ExceptHandler(_catching(none), None, [ast.Raise(**mirror)], **none)
    return [store, ast.Try([dropped], [reraise], [], [], **none)]


def _drop(pos: dict[str, Any]) -> ast.Call:
    """``<store's pop>(<this frame>, None)``: with a default, so that it can
    never raise.  The store's ``pop`` bound in advance, not ``<store>.pop``:
    one attribute load less, and no ``pop`` among the code's names, where a
    program's own ``pop`` could not be told from it (see constants)."""
    pop = ast.Attribute(ast.Name(HANDLER_NAME, _LOAD, **pos), ENTRY_DROP_ATTR, _LOAD, **pos)
    return ast.Call(pop, [_this_frame(pos), ast.Constant(None, **pos)], [], **pos)


def _dropping_returns(body: list[ast.stmt]) -> None:
    """Rewrite, in place, each ``return`` of this scope to drop the entry record
    after its value is computed (see _record_entry).  Nested scopes are left alone."""
    none = _NOWHERE
    stack: list[ast.stmt] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return):
            # The drop's test and the pair and subscript its branches join at
            # take the return's own position, the drop itself none: code with
            # no line right before the ``return``, or at the start of a block
            # the value's own branches join at (``return a if c else b``),
            # would make the tracer report the return's line once more.
            at = _Placer(node).pos
            value = node.value if node.value is not None else ast.Constant(None, **at)
            dropping = ast.BoolOp(ast.And(), [_catching_flag(at), _drop(none)], **none)
            pair = ast.Tuple([value, dropping], _LOAD, **at)
            node.value = ast.Subscript(pair, ast.Constant(0, **at), _LOAD, **at)
            continue
        if not isinstance(node, _NESTED_SCOPES):
            for inner in _nested_bodies(node):
                stack.extend(inner)


# Recording only while a prompt is possible (3.11+; see _record_entry).
_GATED = sys.version_info >= (3, 11)


def instrument_function(
    node: FunctionNode,
    qualname: str,
    rebound: frozenset[str] = frozenset(),
    kwarg_lines: list[int] | None = None,
    class_name: str | None = None,
) -> bool:
    """Wrap one def's body in the trampoline, in place; False if nothing to wrap.

    ``rebound``: the parameters the body assigns (or a nested def assigns
    through ``nonlocal``), and ``kwarg_lines``: the body lines where the
    ``**kwargs`` name is written (None: unknown), both found by ``_Walk``;
    ``class_name``: the innermost class the def is in, nested defs included
    (private names are mangled with it).
    """
    doc, rest = _split_docstring(node.body)
    if not rest:
        return False
    is_async = isinstance(node, ast.AsyncFunctionDef)
    async_generator = is_async and function_kind(node) == KIND_ASYNC_GENERATOR
    at = _def_line(node)
    handler = _handler(qualname, at)
    record = _entry_record(node, rebound, kwarg_lines)
    # The ``try`` has no position: it takes no line of its own.  A body that
    # can end without ``return`` must not fall through to the re-run:
    # ``else: return`` is what falling off the end does anyway, and without a
    # position it gets the line plain code gives that return.
    ends = isinstance(rest[-1], (ast.Return, ast.Raise))
    orelse: list[ast.stmt] = [] if ends else [ast.Return(None, **_NOWHERE)]
    trampoline = ast.Try(rest, [handler], orelse, [], **_NOWHERE)
    guarded = (
        # On the line of the body's first instruction: the line event it then
        # makes is the one that instruction would make.
        _record_entry(
            record,
            _first_line_of(_first_evaluated(rest)),
            at,
            trampoline,
            falls_off=not ends,
            class_name=class_name,
        )
        if record
        else [trampoline]
    )
    rerun = _rerun(is_async, at, in_async_generator=async_generator)
    node.body = [*doc, *guarded, rerun]
    return True


_DEF_TYPES = frozenset((ast.FunctionDef, ast.AsyncFunctionDef))
# Statements holding other statements, and where (handlers and match cases
# hold them one level further down).
_BLOCKS: dict[type, tuple[str, ...]] = {
    ast.If: ("body", "orelse"),
    ast.While: ("body", "orelse"),
    ast.For: ("body", "orelse"),
    ast.AsyncFor: ("body", "orelse"),
    ast.With: ("body",),
    ast.AsyncWith: ("body",),
    ast.Try: ("body", "orelse", "finalbody"),
}
if sys.version_info >= (3, 11):
    _BLOCKS[ast.TryStar] = ("body", "orelse", "finalbody")
_TYPE_ALIAS: Any = getattr(ast, "TypeAlias", None)
_BINDS_NOTHING = frozenset(
    (ast.Expr, ast.Return, ast.Pass, ast.Raise, ast.Assert, ast.Break, ast.Continue, ast.Global)
)  # 3.12: ``type X = ...`` binds X


def _targets(target: ast.expr, out: set[str]) -> None:
    """The names an assignment target binds (attributes and items bind none)."""
    if isinstance(target, ast.Name):
        out.add(target.id)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            _targets(elt, out)
    elif isinstance(target, ast.Starred):
        _targets(target.value, out)


def _statement_binds(stmt: ast.stmt, out: set[str]) -> None:
    """Add the names ``stmt`` itself binds in its scope (not those of its inner blocks).

    Expressions bind only through ``:=`` (comprehension and lambda variables
    are their own scope), which ``_Text`` finds for the caller.
    """
    kind = type(stmt)
    if kind in _BINDS_NOTHING:
        return
    if kind is ast.Assign:
        for target in stmt.targets:  # type: ignore[attr-defined]
            _targets(target, out)
    elif kind in (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor):
        _targets(stmt.target, out)  # type: ignore[attr-defined]
    elif kind in (ast.With, ast.AsyncWith):
        for item in stmt.items:  # type: ignore[attr-defined]
            if item.optional_vars is not None:
                _targets(item.optional_vars, out)
    elif kind is ast.Delete:
        for target in stmt.targets:  # type: ignore[attr-defined]
            _targets(target, out)
    elif kind in (ast.Import, ast.ImportFrom):
        for alias in stmt.names:  # type: ignore[attr-defined]
            out.add((alias.asname or alias.name).split(".")[0])
    elif kind in _DEF_TYPES or kind is ast.ClassDef:
        out.add(stmt.name)  # type: ignore[attr-defined]
    elif kind is ast.Match:
        for case in stmt.cases:  # type: ignore[attr-defined]
            for node in ast.walk(case.pattern):
                out.update(_bound_names(node))
    elif kind is _TYPE_ALIAS:
        _targets(stmt.name, out)  # type: ignore[attr-defined]
    # except handlers' names: see _Walk.statements


class _Text:
    """Where words occur in a module's source, by line: what a look at the text settles.

    A parameter rebound by ``:=`` needs ``:=`` written in the function, a
    ``**kwargs`` dict that the body may change needs its name written in the
    body, and a ``nonlocal`` needs the keyword: searching the text once per
    module spares walking every expression of every function (the symbol
    table, which did it in C, cost as much as compiling the module).  Found
    in a comment or a string, a word only costs the walk it would have
    anyway.  Without the text (a reload's surrogate tree), every line may
    hold every word.
    """

    __slots__ = ("_data", "_starts", "ascii")

    def __init__(self, source: str | bytes | None) -> None:
        if source is None:
            self._data = b""
            self.ascii = False
            self._starts: list[int] = []
            return
        data = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
        if b"\r" in data:  # line numbers count \r\n and \r as one break, like \n
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        self._data = data
        # A name spelled with other characters (NFKC) is only possible off ASCII.
        self.ascii = data.isascii()
        starts = [0]
        starts.extend(accumulate(len(line) + 1 for line in data.split(b"\n")))
        self._starts = starts

    def lines(self, word: bytes, first: int, last: int, *, name: bool = True) -> list[int] | None:
        """Sorted lines from ``first`` to ``last`` where ``word`` is written; None: unknown.

        ``name``: ``word`` is an identifier, so it counts only as a whole word.
        """
        if not self.ascii and (name or not self._data):
            return None
        data, starts = self._data, self._starts
        out: list[int] = []
        end = starts[min(last, len(starts) - 1)]
        at = data.find(word, starts[first - 1], end)  # most often -1: one C call
        while at >= 0:
            after = at + len(word)
            if not name or not (
                (at and _is_name_byte(data[at - 1]))
                or (after < len(data) and _is_name_byte(data[after]))
            ):
                line = bisect_right(starts, at)
                if not out or out[-1] != line:
                    out.append(line)
            at = data.find(word, after, end)
        return out

    def has(self, word: bytes) -> bool:
        return not self.ascii or word in self._data


def _is_name_byte(byte: int) -> bool:
    return byte == 95 or 48 <= byte <= 57 or 65 <= byte <= 90 or 97 <= byte <= 122


class _Walk:
    """One pass over a module's statements that instruments every def.

    Only statements are visited (defs cannot hide in expressions), and on the
    way each function's own statements tell which names it binds: its
    rebound parameters need no separate pass (``_Text`` covers ``:=``).
    """

    __slots__ = ("class_name", "count", "text")

    def __init__(self, text: _Text) -> None:
        self.text = text
        self.count = 0
        # The innermost class the statements being walked are in (through
        # defs too): CPython mangles private names with it.
        self.class_name: str | None = None

    def statements(
        self,
        stmts: list[ast.stmt],
        prefix: str,
        bound: set[str],
        declared: set[str],
        nonlocals: set[str],
    ) -> None:
        """Instrument the defs among ``stmts`` and those nested in them.

        ``bound`` receives the names these statements bind in their own
        scope, ``declared`` those they declare ``nonlocal``, and
        ``nonlocals`` those that a scope nested here declares ``nonlocal``
        and binds (what the symbol table calls free and assigned).
        """
        for stmt in stmts:
            kind = type(stmt)
            fields = _BLOCKS.get(kind)
            if fields is not None:
                _statement_binds(stmt, bound)
                for field in fields:
                    inner = getattr(stmt, field)
                    if inner:
                        self.statements(inner, prefix, bound, declared, nonlocals)
                for handler in getattr(stmt, "handlers", ()):
                    if handler.name:
                        bound.add(handler.name)
                    self.statements(handler.body, prefix, bound, declared, nonlocals)
            elif kind in _DEF_TYPES:
                bound.add(stmt.name)  # type: ignore[attr-defined]
                self.function(stmt, prefix, nonlocals)  # type: ignore[arg-type]
            elif kind is ast.ClassDef:
                bound.add(stmt.name)  # type: ignore[attr-defined]
                body: list[ast.stmt] = stmt.body  # type: ignore[attr-defined]
                decorators: list[ast.expr] = stmt.decorator_list  # type: ignore[attr-defined]
                if decorators and any(is_opt_out_decorator(d) for d in decorators):
                    nonlocals.update(self.nonlocals_under(body))
                    continue
                name = prefix + stmt.name + "."  # type: ignore[attr-defined]
                own: set[str] = set()
                outer, self.class_name = self.class_name, stmt.name  # type: ignore[attr-defined]
                self.statements(body, name, set(), own, nonlocals)
                self.class_name = outer
                nonlocals.update(own)  # bound or not: a class body's ``:=`` is not looked for
            elif kind is ast.Nonlocal:
                declared.update(stmt.names)  # type: ignore[attr-defined]
            elif kind is ast.Match:
                _statement_binds(stmt, bound)
                for case in stmt.cases:  # type: ignore[attr-defined]
                    self.statements(case.body, prefix, bound, declared, nonlocals)
            else:
                _statement_binds(stmt, bound)

    def function(self, node: FunctionNode, prefix: str, nonlocals: set[str]) -> None:
        if node.decorator_list and any(is_opt_out_decorator(d) for d in node.decorator_list):
            nonlocals.update(self.nonlocals_under(node.body))
            return
        qualname = prefix + node.name
        bound: set[str] = set()
        declared: set[str] = set()
        inner: set[str] = set()
        # Nested defs first: instrument_function moves the body into a try.
        self.statements(node.body, qualname + ".<locals>.", bound, declared, inner)
        text = self.text
        body_first, last = node.body[0].lineno, node.end_lineno or node.lineno
        if text.lines(b":=", body_first, last, name=False) != []:
            for n in _own_scope_nodes(node.body):
                if isinstance(n, ast.NamedExpr):
                    _targets(n.target, bound)
        nonlocals.update(inner)
        nonlocals.update(declared.intersection(bound))
        rebound = frozenset(p for p in parameter_names(node.args) if p in bound or p in inner)
        kwarg = node.args.kwarg
        kwarg_lines = text.lines(kwarg.arg.encode(), body_first, last) if kwarg else None
        if instrument_function(node, qualname, rebound, kwarg_lines, self.class_name):
            self.count += 1

    def nonlocals_under(self, stmts: list[ast.stmt]) -> set[str]:
        """Names declared ``nonlocal`` in these statements (for a def left plain)."""
        found: set[str] = set()
        if self.text.has(b"nonlocal"):
            _declared_nonlocal(stmts, found)
        return found


def _declared_nonlocal(stmts: list[ast.stmt], found: set[str]) -> None:
    for stmt in stmts:
        if isinstance(stmt, ast.Nonlocal):
            found.update(stmt.names)
        for inner in _nested_bodies(stmt):
            _declared_nonlocal(inner, found)


def _nested_bodies(stmt: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The statement lists directly inside ``stmt``: its blocks, and the bodies
    of its ``except`` clauses and ``match`` cases (a def's or class's body too)."""
    for field in ("body", "orelse", "finalbody"):
        inner = getattr(stmt, field, None)
        if inner:
            yield inner
    for part in (*getattr(stmt, "handlers", ()), *getattr(stmt, "cases", ())):
        yield part.body


def instrument_tree(tree: ast.Module, prefix: str = "", source: str | bytes | None = None) -> int:
    """Instrument every def in ``tree`` in place; returns how many were wrapped.

    ``prefix`` is the qualified-name prefix of the scope the tree's top level
    stands for (``"C."`` for a class body, ``"f.<locals>."`` inside a def).
    ``source``, the text ``tree`` was parsed from, spares walking expressions
    (see ``_Text``); the result is the same without it.
    """
    walk = _Walk(_Text(source))
    walk.statements(tree.body, prefix, set(), set(), set())
    return walk.count


def _bind_handler(tree: ast.Module) -> None:
    """Start the module with ``from hot_restart.runtime.trampoline import
    handle as __hot_restart__`` and ``__hot_restart_catching__ =
    __hot_restart__.catching``.

    The module binds the handler itself, whatever namespace runs it (an
    import, runpy's ``python -m``, the runner): nothing is put in
    ``builtins``.  ``catching`` is the value of the moment; the runtime
    updates it in every module holding the handler when it changes
    (state.refresh_catching).  It goes after the docstring and ``from
    __future__`` imports, on the line of the statement that follows, so that
    tracers see no line of its own.
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
    at = _first_line_of(body[i]).pos
    alias = ast.alias("handle", HANDLER_NAME, **at)
    bind = ast.ImportFrom("hot_restart.runtime.trampoline", [alias], 0, **at)
    flag = ast.Attribute(_handler_ref(at), "catching", _LOAD, **at)
    copy = ast.Assign([ast.Name(CATCHING_NAME, _STORE, **at)], flag, **at)
    body[i:i] = [bind, copy]


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


def code_qualname(code: CodeType) -> str | None:
    """The qualified name the def of ``code`` was compiled with, if known.

    3.11+: ``co_qualname``.  3.10 has none, and a function's ``__qualname__``
    can be another's (``functools.wraps`` copies the wrapped function's onto
    the wrapper), but instrumented code passes its qualified name to the
    handler as a constant (see _ask): ``__hot_restart__("<qualname>")``.
    """
    found = getattr(code, "co_qualname", None)
    if found is not None or not is_instrumented(code):
        return found
    import dis

    loads_handler = False
    for instruction in dis.get_instructions(code):
        if instruction.opname == "LOAD_GLOBAL":
            loads_handler = instruction.argval == HANDLER_NAME
        elif loads_handler and instruction.opname == "LOAD_CONST":
            if isinstance(instruction.argval, str):
                return instruction.argval
            loads_handler = False
        else:
            loads_handler = False
    return None


def records_entry(code: CodeType) -> bool:
    """The generated code of this function records its entry arguments (see _record_entry)."""
    names = code.co_names
    return HANDLER_NAME in names and ENTRY_STORE_ATTR in names and ENTRY_FRAME_ATTR in names
