"""Locating a definition in edited source and compiling only it."""

from __future__ import annotations

import sys
import textwrap

import pytest

from hot_restart.errors import ReloadException
from hot_restart.runtime import locate, surrogate

SOURCE = textwrap.dedent(
    """\
    import math

    class A:
        LIMIT = 3

        def m(self, x=LIMIT):
            return super().m(x)

        class B:
            def n(self):
                return 1

    def outer(k):
        def inner(x):
            return x + k
        return inner

    def outer(k):  # a second, later definition with the same name
        return k
    """
)


def lines(text: str = SOURCE) -> list[str]:
    return text.splitlines(keepends=True)


def test_scope_path():
    assert locate.scope_path("A.f.<locals>.g") == [("A", "class"), ("f", "def"), ("g", "def")]


def test_find_block_picks_the_nearest_definition():
    first = locate.find_block(lines(), ("outer",), "def", 13)
    second = locate.find_block(lines(), ("outer",), "def", 19)
    assert first is not None and second is not None
    assert (first.start, first.end) == (13, 16)
    assert (second.start, second.end) == (18, 19)
    nested = locate.find_block(lines(), ("A", "B", "n"), "def", 10)
    assert nested is not None and (nested.start, nested.end, nested.indent) == (10, 11, 8)
    assert locate.find_block(lines(), ("B", "n"), "def", 10) is None  # path must match


def test_block_source_keeps_line_numbers():
    block = locate.find_block(lines(), ("A", "m"), "def", 6)
    assert block is not None
    src = locate.block_source(lines(), block)
    assert src.splitlines()[5].strip() == "def m(self, x=LIMIT):"
    compile(src, "x", "exec")


def test_build_method_keeps_super_and_lines():
    built = surrogate.build(lines(), "mod.py", "A.m", 6, 0, ("__class__",))
    assert built.code.co_firstlineno == 6
    assert built.code.co_freevars == ("__class__",)
    assert built.class_path == ("A",) and not built.nested


def test_build_nested_gets_the_closure_from_the_new_source():
    built = surrogate.build(lines(), "mod.py", "outer.<locals>.inner", 14, 0, ("k",))
    assert built.code.co_freevars == ("k",) and built.nested


def test_new_closure_variable_is_refused_with_a_clear_message():
    edited = SOURCE.replace("return x + k", "return x + k + j").replace(
        "    def inner(x):", "    j = 1\n    def inner(x):"
    )
    with pytest.raises(ReloadException, match=r"now uses 'j' from outer.*`up`.*`restart`"):
        surrogate.build(lines(edited), "mod.py", "outer.<locals>.inner", 14, 0, ("k",))


def test_lines_added_above_are_followed():
    edited = "\n\n\n" + SOURCE
    built = surrogate.build(lines(edited), "mod.py", "A.B.n", 10, 0, ())
    assert built.code.co_firstlineno == 13


def test_syntax_error_names_file_and_line():
    edited = SOURCE.replace("return 1\n", "return (1\n", 1)
    with pytest.raises(ReloadException, match=r"syntax error in mod.py:\d+"):
        surrogate.build(lines(edited), "mod.py", "A.B.n", 10, 0, ())


def test_deleted_function_is_reported():
    edited = SOURCE.replace("def n(self)", "def renamed(self)")
    with pytest.raises(ReloadException, match="no longer defined"):
        surrogate.build(lines(edited), "mod.py", "A.B.n", 10, 0, ())


def test_gaining_super_falls_back_to_explicit_super():
    edited = SOURCE.replace("return 1\n", "return super().n()\n", 1)
    built = surrogate.build(lines(edited), "mod.py", "A.B.n", 10, 0, ())
    assert built.code.co_freevars == ()
    assert "A" in built.code.co_names and "B" in built.code.co_names


def test_def_lines_inside_strings_are_not_definitions():
    text = 'T = """\ndef f(x):\n    return -1\n"""\n\n\ndef f(x):\n    return x\n'
    found = locate.find_blocks(lines(text), ("f",), "def", 2)
    assert [b.header for b in found] == [7]
    # A docstring line at column 0 neither hides nor ends a method.
    text = 'class A:\n    def f(self):\n        """Doc\ndef g():\n"""\n        return 1\n'
    assert locate.find_blocks(lines(text), ("g",), "def", 4) == []
    block = locate.find_block(lines(text), ("A", "f"), "def", 2)
    assert block is not None and block.end == 6


def test_decorators_belong_to_the_block():
    text = "@a\n@b(\n  1)\ndef f():\n    pass\n"
    block = locate.find_block(lines(text), ("f",), "def", 4)
    assert block is not None and (block.start, block.header) == (1, 4)


OVERLOADED = textwrap.dedent(
    """\
    @overload
    def f(x: int) -> int: ...
    @overload
    def f(x: str) -> str: ...
    def f(x):
        return x
    """
)


def test_overload_stubs_are_never_the_running_implementation():
    edited = "# one line added\n" + OVERLOADED
    built = surrogate.build(lines(edited), "mod.py", "f", 5, 0, (), None, lines(OVERLOADED))
    assert built.code.co_firstlineno == 6
    built = surrogate.build(lines(edited), "mod.py", "f", 5, 0, ())  # no old text needed
    assert built.code.co_firstlineno == 6


DISPATCH = textwrap.dedent(
    """\
    @show.register
    def _(x: int):
        return 1

    @show.register
    def _(x: str):
        return 2
    """
)


def test_same_named_siblings_map_by_place_and_signature():
    grown = DISPATCH.replace("    return 1\n", "\n" * 6 + "    return 1\n")
    built = surrogate.build(lines(grown), "mod.py", "_", 5, 0, (), None, lines(DISPATCH))
    assert (built.def_line, built.code.co_firstlineno) == (12, 11)  # code from its decorator
    # The running one's own signature edited: its place among siblings decides.
    edited = grown.replace("x: str", "x: bytes")
    built = surrogate.build(lines(edited), "mod.py", "_", 5, 0, (), None, lines(DISPATCH))
    assert (built.def_line, built.code.co_firstlineno) == (12, 11)


def test_siblings_that_cannot_be_told_apart_are_refused():
    with pytest.raises(ReloadException, match=r"_ is defined 2 times in mod.py \(lines 2, 6\)"):
        surrogate.build(lines(DISPATCH), "mod.py", "_", 5, 0, (), (1, 0, 0, 0))


def test_read_lines_splits_where_the_compiler_does(tmp_path):
    from hot_restart.runtime.reload import read_lines

    path = tmp_path / "m.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\nx = '\xe9\x0c'\r\ny = 1")
    assert read_lines(str(path)) == ["# -*- coding: latin-1 -*-\n", "x = '\xe9\x0c'\n", "y = 1"]


def lines_of_name(code, name: str) -> set[int]:
    import dis

    return {
        i.positions.lineno
        for i in dis.get_instructions(code)
        if i.argval == name and i.positions is not None and i.positions.lineno
    }


@pytest.mark.skipif(sys.version_info < (3, 11), reason="instruction positions are 3.11+")
def test_method_body_keeps_its_own_lines():
    built = surrogate.build(lines(), "mod.py", "A.m", 6, 0, ("__class__",))
    assert lines_of_name(built.code, "super") == {7}


@pytest.mark.skipif(sys.version_info < (3, 12), reason="PEP 695 syntax is 3.12+")
def test_generic_class_method_gets_the_type_parameter_scope():
    text = "class Box[T]:\n    def get(self):\n        x = 1\n        return T\n"
    built = surrogate.build(lines(text), "mod.py", "Box.get", 2, 0, ("T",))
    assert built.code.co_freevars == ("T",)
    assert lines_of_name(built.code, "T") == {4}


GENERIC = """\
import hot_restart

class Box[T]:
    def m[U](self, x: U) -> tuple[T, U]:
        return (T, U, x // 0)

    class Inner[V]:
        def n(self) -> V:
            return (T, V, 1 // 0)

def outer[K](k: K):
    def inner():
        return (K, k // 0)
    return inner

hot_restart.wrap_module()
"""

GENERIC_RUN = """\
import pathlib, sys
import gmod
from hot_restart.runtime.reload import reload_function
p = pathlib.Path(gmod.__file__)
p.write_text("# a line added\\n" + p.read_text().replace(" // 0", ""))
print(reload_function(gmod.Box.m, "Box.m")(gmod.Box(), 5))
print(reload_function(gmod.Box.Inner.n, "Box.Inner.n")(gmod.Box.Inner()))
print(reload_function(gmod.outer(3), "outer.<locals>.inner")())
"""


@pytest.mark.skipif(sys.version_info < (3, 12), reason="PEP 695 syntax is 3.12+")
def test_generic_methods_nested_generic_classes_and_generic_closures_reload(tmp_path):
    import os
    import subprocess
    from pathlib import Path

    (tmp_path / "gmod.py").write_text(GENERIC)
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), root])}
    out = subprocess.run(
        [sys.executable, "-c", GENERIC_RUN],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert out.stdout.splitlines() == ["(T, U, 5)", "(T, V, 1)", "(K, 3)"], out.stderr


STRINGY = textwrap.dedent(
    '''\
    """Module doc
    def not_this():
    """
    x = 1  # a 'quote' in a comment
    T = \'\'\'
    def template(x):
        return "it's"
    \'\'\'

    def f():
        """Doc.

    def still_doc():
        """
        return "#"
    '''
)


def test_string_map_built_on_the_previous_text_equals_a_fresh_one():
    import random

    rng = random.Random(9)
    base = lines(STRINGY * 5)
    for _ in range(300):
        previous = locate.Strings(base)
        previous.scan(rng.randrange(1, len("".join(base)) + 2))
        edited = list(base)
        at = rng.randrange(len(edited) + 1)
        edited[at:at] = [rng.choice(['"""\n', "# x\n", "y = '#'\n", "\n", "'''x'''\n", "'a\n"])]
        if rng.random() < 0.2:  # an unterminated string or comment at the very end
            edited.append(rng.choice(['"""', "'''x", "# c", "'b", "z = 1\n"]))
        if rng.random() < 0.3 and len(edited) > 1:
            del edited[rng.randrange(len(edited))]
        fresh, derived = locate.Strings(edited), locate.Strings(edited, previous)
        end = len(fresh.text) + 1
        fresh.scan(end)
        derived.scan(end)
        numbers = range(1, len(edited) + 1)
        assert [derived.inside(n) for n in numbers] == [fresh.inside(n) for n in numbers]
        base = edited


def test_string_map_does_not_trust_an_unterminated_string_at_the_old_end():
    old = ["a = 1\n", "x = '''abc\n", "def f():"]
    previous = locate.Strings(old)
    previous.scan(len(previous.text) + 1)
    assert previous.inside(3)  # the old text ends inside the string
    new = ["a = 1\n", "x = '''abc\n", "def f():'''\n", "def g():\n", "    pass\n"]
    derived = locate.Strings(new, previous)
    derived.scan(len(derived.text) + 1)
    assert [derived.inside(n) for n in range(1, 6)] == [False, False, True, False, False]


def test_a_decorated_def_starts_at_its_first_decorator_as_plain_code_does():
    # Where inspect.getsource and pdb's longlist begin, and what a later shift
    # of moved code looks for; the decorators themselves are not applied again.
    text = "import functools\n\n@functools.wraps(\n    print)\n@staticmethod\ndef f(x):\n    return x\n"
    plain = next(c for c in compile(text, "mod.py", "exec").co_consts if hasattr(c, "co_name"))
    built = surrogate.build(lines(text), "mod.py", "f", 3, 0, ())
    assert (built.code.co_firstlineno, built.def_line) == (plain.co_firstlineno, 6) == (3, 6)
    assert {line for _, _, line in built.code.co_lines() if line} >= {7}
