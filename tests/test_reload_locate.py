"""Which definition a reload compiles in, and how the edited file is read.

Each scenario crashes, "edits" the file so that a naive search (by name and
nearest line, or a text search that sees into strings) would pick the wrong
def, and checks that exactly the fixed code on disk runs.
"""

from __future__ import annotations

import re
import sys

import pytest

# The classic API (the program calls wrap_module) and the runner
# (``python -m hot_restart prog.py``, which instruments the script itself).
LAUNCH = pytest.mark.parametrize(
    "args", [None, ["-m", "hot_restart", "prog.py"]], ids=["wrap_module", "runner"]
)


@LAUNCH
def test_overload_stubs_above_the_implementation(session, args):
    s = session("overload_stubs", args=args)
    assert "__main__.compute raised ZeroDivisionError" in s.prompt()
    s.fix()
    s.send("c")
    s.expect(r"result: 42\r?\n")
    s.finish(0)


def test_def_inside_a_template_string_is_not_a_definition(session):
    s = session("template_string")
    assert "__main__.compute raised ZeroDivisionError" in s.prompt()
    s.fix()
    s.send("c")
    s.expect(r"result: 42\r?\n")
    s.finish(0)


@LAUNCH
def test_singledispatch_registrations_after_an_earlier_one_grew(session, args):
    s = session("singledispatch_grow", args=args)
    assert "__main__._ raised TypeError" in s.prompt()
    s.fix()
    s.send("c")
    s.expect(r"str: str abab\r?\n")
    s.finish(0)


def test_siblings_that_cannot_be_told_apart_are_refused_in_one_line(session):
    s = session("singledispatch_grow")
    s.prompt()
    s.fix("in_ambiguous.py")
    s.send("c")
    refused = s.prompt()
    assert re.search(
        r"hot_restart: _ is defined 3 times in \S+prog\.py \(lines 12, 22, 27\) and hot_restart "
        r"cannot tell which one is running; make their decorators or parameters differ, or "
        r"`up` and `restart` a caller\n",
        refused,
    ), refused
    s.fix()
    s.send("c")
    s.expect(r"str: str abab\r?\n")
    s.finish(0)


def test_latin1_source_with_a_coding_cookie(session):
    s = session("source_latin1")
    assert "__main__.greet raised TypeError" in s.prompt()
    s.prog.write_bytes((s.dir / "in_2.py").read_bytes())
    s.send("c")
    s.expect("greet: h\u00e9llo w\u00f6rld\r?\n")
    s.finish(0)


def test_utf8_source_with_a_bom(session):
    s = session("source_bom")
    assert "__main__.greet raised TypeError" in s.prompt()
    s.prog.write_bytes((s.dir / "in_2.py").read_bytes())
    s.send("c")
    s.expect("greet: h\u00e9llo w\u00f6rld\r?\n")
    s.finish(0)


def test_closure_assigning_a_nonlocal_keeps_its_cells(session):
    s = session("nonlocal_closure")
    assert "make_counter.<locals>.inc raised ZeroDivisionError" in s.prompt()
    s.fix()
    s.send("c")
    # count was 5 at the crash; the re-run adds step again: 100 // (10 + 5).
    s.expect(r"first: 6\r?\n")
    s.expect(r"second: 5\r?\n")  # the same cell: 100 // (15 + 5)
    s.finish(0)


@LAUNCH
def test_functions_moved_by_an_edit_report_their_new_lines(session, args):
    s = session("moved_unchanged", args=args)
    assert "__main__.grow raised ZeroDivisionError" in s.prompt()
    s.fix()
    s.send("c")
    s.expect(r"grow: 1\r?\n")
    before = s.prompt()
    assert "__main__.later raised ValueError" in before
    new_line = 1 + next(
        i for i, text in enumerate(s.prog.read_text().splitlines()) if "# LATER" in text
    )
    s.send("where")
    listing = s.prompt()
    assert re.search(rf"prog\.py\({new_line}\)later\(\)", listing), listing
    s.send("q")
    out = s.finish(1)
    tail = out[out.rindex("Traceback (most recent call last)") :]
    assert f'line {new_line}, in later\n    raise ValueError("later failed")  # LATER' in tail


@pytest.mark.skipif(sys.version_info < (3, 12), reason="PEP 695 syntax is 3.12+")
def test_pep695_generic_class_function_and_alias(session):
    s = session("pep695")
    assert "__main__.Box.doubled raised ZeroDivisionError" in s.prompt()
    s.fix()
    s.send("c")
    # On c every edited definition is reloaded: the method, the generic
    # function and the method whose body uses T (a closure over it).
    s.expect(r"reloaded [^\n]*Box.doubled")
    s.expect(r"doubled: \(21, 42\)\r?\n")
    s.expect(r"first: 70\r?\n")
    s.expect(r"kind: T3Local\r?\n")
    s.expect(r"alias: tuple\[T, T\]\r?\n")
    s.finish(0)
