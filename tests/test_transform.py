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


def test_only_rebound_parameters_are_snapshotted():
    code, _ = instrumented(
        "def f(a, b, *c, d, **e):\n"
        "    a += 1\n"
        "    for d in c:\n"
        "        pass\n"
        "    def b():\n"
        "        e = 1\n"  # binds in the nested scope, not in f
        "    return a\n"
    )
    snapshots = [line.strip() for line in code.splitlines() if "_hr__" in line]
    assert snapshots == ["_hr__a = a", "_hr__b = b", "_hr__d = d"]


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

    ns[transform.HANDLER_NAME] = passthrough
    exec(code, ns)
    f = ns["f"]
    assert f(5) == 3  # type: ignore[operator]
    with pytest.raises(ZeroDivisionError) as info:
        f(0)  # type: ignore[operator]
    assert info.traceback[-1].lineno + 1 == 3  # pytest's lineno is 0-based
    assert transform.is_instrumented(f.__code__)  # type: ignore[attr-defined]
    assert f.__code__.co_firstlineno == 1  # type: ignore[attr-defined]
