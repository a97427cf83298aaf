"""The AST transform: what it injects, where, and what it leaves alone."""

from __future__ import annotations

import ast
import sys

import pytest

from hot_restart import transform


def instrumented(src: str) -> tuple[str, int]:
    tree = ast.parse(src)
    count = transform.instrument_tree(tree)
    return ast.unparse(tree), count


def handler_calls(src: str) -> list[str]:
    """The qualified names of the instrumented defs, as the handler will see them."""
    tree = ast.parse(src)
    transform.instrument_tree(tree)
    code = compile(tree, "x", "exec")
    if sys.version_info >= (3, 11):
        return sorted(
            c.co_qualname for c in transform.iter_code(code) if transform.is_instrumented(c)
        )
    # 3.10 has no co_qualname: the generated code passes the name itself.
    return sorted(
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == transform.HANDLER_NAME
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )


def test_qualnames_follow_cpython():
    src = """
def f():
    def g():
        return 1
    return g
class C:
    def m(self):
        return 1
    class D:
        async def n(self):
            return 2
"""
    assert set(handler_calls(src)) == {"f", "f.<locals>.g", "C.m", "C.D.n"}
    # With the source at hand, rebound parameters come from the symbol table;
    # the result is the same as the walk's.
    tree = ast.parse(src)
    assert transform.instrument_tree(tree, source=src) == 4


@pytest.mark.parametrize(
    ("src", "kind"),
    [
        ("def f():\n    yield 1\n", transform.KIND_GENERATOR),
        ("def f():\n    yield from ()\n", transform.KIND_GENERATOR),
        ("async def f():\n    yield 1\n", transform.KIND_ASYNC_GENERATOR),
        ("async def f():\n    return 1\n", transform.KIND_COROUTINE),
        ("def f():\n    return (lambda: (yield))\n", transform.KIND_FUNCTION),
    ],
)
def test_kinds(src: str, kind: int) -> None:
    node = ast.parse(src).body[0]
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    assert transform.function_kind(node) == kind
    ns: dict[str, object] = {}
    exec(compile(ast.parse(src), "x", "exec"), ns)
    assert transform.kind_of(ns["f"].__code__.co_flags) == kind  # type: ignore[attr-defined]


def test_docstring_stays_first_and_empty_bodies_are_left_alone():
    code, count = instrumented(
        'def f():\n    "doc"\n    return 1\n\ndef g():\n    "only a docstring"\n'
    )
    assert count == 1
    ns: dict[str, object] = {}
    exec(compile(ast.parse(code), "x", "exec"), ns)
    assert ns["f"].__doc__ == "doc"  # type: ignore[attr-defined]


def recorded(src: str, *, with_source: bool) -> dict[str, list[str]]:
    """Each def's entry record, as ``{function: ["'name': value expression", ...]}``."""
    tree = ast.parse(src)
    transform.instrument_tree(tree, source=src if with_source else None)
    out: dict[str, list[str]] = {}
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for top in fn.body:
                # The record sits in ``if __hot_restart__ and __hot_restart__.catching:``.
                # (not on 3.10, which always records).
                stmt = top.body[0] if isinstance(top, ast.If) else top
                if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Tuple):
                    names, *values = stmt.value.elts
                    out[fn.name] = [
                        f"'{k}': {ast.unparse(v)}"
                        for k, v in zip(ast.literal_eval(names), values, strict=True)
                    ]
    return out


RECORDED = """
def f(a, b, *c, d, **e):
    a += 1
    for d in c:
        pass
    def b():
        e = 1
    return a

def g(host, **options):
    timeout = options.pop("timeout", 30)
    return host

def reads(x, *args, **kw):
    return kw.get("a"), len(kw), kw["b"], "c" in kw, h(*args, **kw), {**kw}, [k for k in kw]

def passes(**kw):
    return h(kw)

def unused(**kw):
    return 1

def nested_use(**kw):
    def g():
        return kw.pop("a")
    return g()

def outer(step, other):
    def inc():
        nonlocal step
        step += 1
    return inc

def gen(a, **kw):
    a = 1
    kw.clear()
    yield a

async def coro(a):
    a = await a
    return a

async def agen(a):
    a = 1
    yield a
"""


@pytest.mark.parametrize("with_source", [False, True], ids=["walk", "symtable"])
def test_only_what_the_body_may_change_is_recorded(with_source: bool) -> None:
    assert recorded(RECORDED, with_source=with_source) == {
        # e is bound in the nested scope only; b by the nested def.
        "f": ["'a': a", "'b': b", "'d': d"],
        "g": ["'options': {**options}"],
        "passes": ["'kw': {**kw}"],
        "nested_use": ["'kw': {**kw}"],
        "outer": ["'step': step"],
        "coro": ["'a': a"],
        # Nothing for reads, the nested inc, and the generators (never re-run in place).
    }


def test_the_record_adds_no_local_variable() -> None:
    plain = compile(RECORDED, "x", "exec", dont_inherit=True)
    instrumented_code = transform.instrument_source(RECORDED, "x")
    shape = lambda code: sorted(  # noqa: E731
        (c.co_name, c.co_varnames, c.co_nlocals, c.co_cellvars, c.co_freevars)
        for c in transform.iter_code(code)
    )
    assert shape(instrumented_code) == shape(plain)


def test_opt_out_decorators_and_module_marker():
    src = (
        "import hot_restart\n"
        "@hot_restart.no_wrap\n"
        "def a():\n    return 1\n"
        "@no_wrap\n"
        "class B:\n    def m(self):\n        return 1\n"
        "@hot_restart.ignore\n"
        "def c():\n    return 1\n"
        "def d():\n    return 1\n"
    )
    assert handler_calls(src) == ["d"]
    assert transform.module_opts_out(ast.parse("__hot_restart_skip__ = True\n"))


def test_line_numbers_and_behaviour_are_unchanged():
    src = "def f(x):\n    y = 1\n    return 10 // x + y\n"
    code = transform.instrument_source(src, "mod.py")
    ns: dict[str, object] = {}

    def passthrough(qualname: str | None = "") -> bool:
        return True  # re-raise

    passthrough.catching = BaseException  # type: ignore[attr-defined]
    ns[transform.HANDLER_NAME] = passthrough
    ns[transform.CATCHING_NAME] = BaseException
    exec(code, ns)
    f = ns["f"]
    assert f(5) == 3  # type: ignore[operator]
    with pytest.raises(ZeroDivisionError) as info:
        f(0)  # type: ignore[operator]
    assert info.traceback[-1].lineno + 1 == 3  # pytest's lineno is 0-based
    assert transform.is_instrumented(f.__code__)  # type: ignore[attr-defined]
    assert f.__code__.co_firstlineno == 1  # type: ignore[attr-defined]


# What the text search (``_Text``) narrows down: each shape must come out as a
# walk of every expression would have it.
REBINDS = """
def walrus(a, b):
    if (a := a + 1):
        pass
    return [b for b in range(3)]  # a comprehension variable is its own scope

def plain_nested(step):
    @no_wrap
    def inc():
        nonlocal step
        step += 1
    return inc

def declared_only(step):
    def peek():
        nonlocal step
        return step
    return peek

def kw_in_fstring(**kw):
    return f"{kw.pop('a')}"

def kw_over_lines(**kw):
    return (
        kw
        .pop("a")
    )

def kw_in_a_string_only(**kw):
    return "kw.pop()"

def kw_def_line(**kw): return kw.pop("a")

def unpacked(a, b, c, d, e):
    (a, [b, *c]) = d = 1, [2, 3]
    with open(e) as (e):
        pass
    return a
"""


@pytest.mark.parametrize("with_source", [False, True], ids=["walk", "text"])
def test_what_the_text_search_narrows_is_recorded_as_a_full_walk_would(with_source: bool) -> None:
    assert recorded(REBINDS, with_source=with_source) == {
        "walrus": ["'a': a"],
        "plain_nested": ["'step': step"],
        "kw_in_fstring": ["'kw': {**kw}"],
        "kw_over_lines": ["'kw': {**kw}"],
        "kw_def_line": ["'kw': {**kw}"],
        "unpacked": ["'a': a", "'b': b", "'c': c", "'d': d", "'e': e"],
    }
