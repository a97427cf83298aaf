"""Reloads of generated modules, checked against plain Python (run by test_reload_property).

Each example writes a module of a few generated functions (the grammar of
test_fidelity_hypothesis; some decorated, some methods), imports it through
the hook, keeps a reference to every function, writes an edited version
(some bodies replaced, lines added or removed above some defs, so that
unchanged code moves too, sometimes a def added), and reloads what changed
as ``c`` does (``reload.reload_changed``).  Then each
function, called through the reference taken before the edit, must do
exactly what the same function does in a plain ``exec`` of the new text:
the same result or exception (traceback positions included), the same
``LOG``, the same ``locals()``/``co_varnames`` seen by ``peek``.  A reload
that cannot be done must say so in one line and change nothing.

It runs in its own interpreter: the hook changes ``sys.meta_path`` and
``sys.modules`` for the whole process.  ``python reload_cases.py N`` runs N
examples and exits 1 with the falsifying example on a failure.
"""

from __future__ import annotations

import inspect
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

import test_fidelity_hypothesis as grammar

import hot_restart
from hot_restart.errors import ReloadException
from hot_restart.runtime import registry, reload

FOLDER = Path(tempfile.mkdtemp(prefix="hot_restart_reload_cases_"))
sys.path.insert(0, str(FOLDER))
_serial = [0]
COUNTS = {"reloaded": 0, "refused": 0}  # printed at the end: proof that reloads happened


# What some defs are decorated with: ``functools.wraps`` (a reference taken
# before the edit is the wrapper, which must then call the new code).
WRAPPER = """\
import functools


def deco(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper


"""


def as_def(
    program: grammar.Program,
    index: int,
    pad: int,
    method: bool,
    b: int = 2,
    extra: str = "",
    decorator: str = "",
) -> str:
    """``program``'s function, named ``f<index>``, after ``pad`` blank and
    comment lines; a method (of ``Box``, indented, with ``self`` unless a
    staticmethod) if ``method``; ``b`` the default of its parameter ``b``;
    ``extra``, a keyword-only parameter more (``d=0``, or a required ``d``);
    under ``@decorator`` if one is named (deco, staticmethod, classmethod), or
    made by a ``make_f<index>`` function (``factory``)."""
    text = program.source[len(grammar.PRELUDE) :]
    head = "async def f(" if text.startswith("async def f(") else "def f("
    assert text.startswith(head), text[:40]
    first = "self, " if method and decorator != "staticmethod" else ""
    renamed = head.replace("f(", f"f{index}({first}") + text[len(head) :]
    if decorator == "factory":
        # Made by a function that returns it: the live one is a closure made at import.
        body = "".join(f"    {line}" if line.strip() else line for line in renamed.splitlines(True))
        renamed = (
            f"def make_f{index}():\n{body}    return f{index}\n\n\nf{index} = make_f{index}()\n"
        )
    elif decorator:
        renamed = f"@{decorator}\n{renamed}"
    renamed = renamed.replace("b=2, ", f"b={b}, ", 1)
    if extra:
        renamed = renamed.replace("c=[], ", f"c=[], {extra}, ", 1)
    if method:
        renamed = "".join(
            f"    {line}" if line.strip() else line for line in renamed.splitlines(True)
        )
    # A comment off ASCII sometimes: the transform and the reload then read the text otherwise.
    comment = "# déplacé\n" if pad == 3 else "# moved\n"
    return "".join(comment if i % 2 else "\n" for i in range(pad)) + "\n" + renamed


@dataclass(frozen=True)
class Edit:
    texts: list[str]  # the module as imported, then as edited (once, or a few times in turn)
    programs: list[list[grammar.Program]]  # each version's program of each function
    crashed: bool  # the first ``c`` follows a crash in f0 (module-level): its re-run is prepared
    newlines: list[str]  # each version's line endings (an editor may change them)


@st.composite
def edits(draw: Any) -> Edit:
    count = draw(st.integers(1, 3))
    method = draw(st.booleans())
    head = [WRAPPER, "class Box:\n    'Methods.'\n"] if method else [WRAPPER]
    # One edit, or (a fix that still fails, fixed again) up to three in turn;
    # one only on 3.11, where code warmed by earlier runs reports some errors
    # at other columns (see check).
    versions = 1 + (draw(st.integers(1, 3)) if sys.version_info[:2] != (3, 11) else 1)
    texts: list[list[str]] = [list(head) for _ in range(versions)]
    programs: list[list[grammar.Program]] = [[] for _ in range(versions)]
    for i in range(count):
        program = draw(grammar.programs())
        # Kept through the edits: a reload does not apply decorators again.
        decorators = ["", "", "deco", *(["staticmethod", "classmethod"] if method else ["factory"])]
        decorator = draw(st.sampled_from(decorators))
        texts[0].append(as_def(program, i, draw(st.integers(0, 2)), method, decorator=decorator))
        programs[0].append(program)
        for version in range(1, versions):
            if draw(st.booleans()):  # this one changes
                # Mostly the same kind of function (a plain one stays plain); sometimes not.
                mode = program.mode if draw(st.integers(0, 5)) else None
                program = draw(grammar.programs(mode=mode))
            # Sometimes only a default changes; not in a factory-made function,
            # whose defaults stay those it was made with (README, Limits).
            default = 2 if decorator == "factory" else draw(st.sampled_from([2, 2, 3]))
            extra = draw(st.sampled_from(["", "", "", "", "d=0", "d"]))  # or the signature
            pad = draw(st.integers(0, 3))
            texts[version].append(as_def(program, i, pad, method, default, extra, decorator))
            programs[version].append(program)
    # Sometimes an edit adds a def (run in the module, or added to the live
    # class), kept in the versions after it.
    if versions > 1 and draw(st.integers(0, 2)) == 0:
        added_at = draw(st.integers(1, versions - 1))
        program = draw(grammar.programs())
        decorators = ["", "deco", *(["staticmethod", "classmethod"] if method else [])]
        decorator = draw(st.sampled_from(decorators))
        for version in range(added_at, versions):
            texts[version].append(as_def(program, count, 1, method, decorator=decorator))
            programs[version].append(program)
    crashed = not method and draw(st.booleans())
    newlines = [draw(st.sampled_from(["\n", "\n", "\r\n"])) for _ in range(versions)]
    return Edit([grammar.PRELUDE + "".join(t) for t in texts], programs, crashed, newlines)


def outcomes(functions: list[Any], log: list[Any], programs: list[grammar.Program]) -> list[Any]:
    """What each function does with its program's calls, and what it logs."""
    seen = []
    for fn, program in zip(functions, programs, strict=True):
        for args, kwargs in program.calls:
            del log[:]
            result = grammar.outcome(fn, args, kwargs, program.throw_at)
            seen.append((fn.__name__, result, list(log)))
    return seen


def check(edit: Edit) -> None:
    _serial[0] += 1
    name = f"reload_case_{_serial[0]}"
    path = FOLDER / f"{name}.py"

    def write(version: int) -> None:
        path.write_bytes(edit.texts[version].replace("\n", edit.newlines[version]).encode())

    write(0)
    with hot_restart.install([name]):
        module = __import__(name)
    count = len(edit.programs[0])
    try:
        # Methods through a bound method of an instance made before the edit.
        holder = module.Box() if hasattr(module, "Box") else module
        functions = [getattr(holder, f"f{i}") for i in range(count)]
        # Functions that may have appended to ``c``: an unchanged default
        # keeps its object through a reload (changed in place, where a plain
        # exec makes a new one), so they are compared only before they ran.
        appended: set[int] = set()

        def run(version: int, log: list[Any], fns: list[Any]) -> list[Any]:
            kept = [i for i in range(len(fns)) if i not in appended]
            programs = [edit.programs[version][i] for i in kept]
            seen = outcomes([fns[i] for i in kept], log, programs)
            appended.update(i for i in kept if "c.append" in edit.programs[version][i].source)
            return seen

        # They ran before the edit, as a program that crashed did.  Not on
        # 3.11: there, once code is warm (specialized), an unbound local read
        # right after another local read is reported at the other one's
        # columns (CPython's LOAD_FAST__LOAD_FAST), and code left unchanged
        # by the edit would be warmer than the plain exec's.
        if sys.version_info[:2] != (3, 11):
            run(0, module.LOG, functions)
        loaded = 0  # the version whose code runs
        for version in range(1, len(edit.texts)):
            # Back to back: an edit may keep the size (b=2 -> b=3), and on a
            # coarse file-system clock the times too (registry.stamp_of).
            write(version)
            try:
                if edit.crashed and version == 1:
                    # As ``c`` does for a crash in f0's first call: the target
                    # is reloaded (changed or not) with the call it will re-run.
                    args, kwargs = edit.programs[0][0].calls[0]
                    target = inspect.unwrap(functions[0])  # the crashed frame's function
                    call = (list(args), dict(kwargs))
                    report = reload.reload_changed(target, target.__qualname__, call)
                else:
                    report = reload.reload_changed()
                COUNTS["reloaded"] += len(report.qualnames)
                loaded = version
            except ReloadException as e:
                COUNTS["refused"] += 1
                message = str(e)
                assert "\n" not in message, f"a refusal of more than one line: {message!r}"
                note(f"refused: {message}")
            expected_code: dict[str, Any] = {"__name__": name}
            exec(compile(edit.texts[loaded], str(path), "exec", dont_inherit=True), expected_code)
            grammar.FILENAME = str(path)  # describe() keeps the positions in this file
            fresh = expected_code["Box"]() if "Box" in expected_code else None
            present = len(edit.programs[loaded])  # a def added by the edit, if it was loaded
            expected = [
                getattr(fresh, f"f{i}") if fresh is not None else expected_code[f"f{i}"]
                for i in range(present)
            ]
            # A def the edit added: as the live module or class has it now.
            reached = [*functions, *(getattr(holder, f"f{i}") for i in range(count, present))]
            before = set(appended)
            got = run(version, module.LOG, reached)
            appended.clear()
            appended.update(before)
            want = run(version, expected_code["LOG"], expected)
            if got != want:
                differ = (
                    next((g, w) for g, w in zip(got, want, strict=False) if g != w)
                    if len(got) == len(want)
                    else (len(got), len(want))
                )
                raise AssertionError(
                    f"after edit {version}, running version {loaded}: got, want {differ}"
                )
            for fn, plain_fn in zip(reached, expected, strict=True):
                # A wrapper keeps the docstring functools.wraps copied at import:
                # decorators are not applied again (README, How a reload works).
                assert inspect.unwrap(fn).__doc__ == inspect.unwrap(plain_fn).__doc__
    finally:
        sys.modules.pop(name, None)
        registry.modules.discard(name)
        registry.sources.pop(str(path), None)
        registry.stamps.pop(str(path), None)


def main(examples: int) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(edits())
    def a_reload_runs_exactly_the_code_on_disk(edit: Edit) -> None:
        start = len(grammar.PRELUDE)
        for version, text in enumerate(edit.texts):
            note(f"version {version}:\n{text[start:]}")
        check(edit)

    a_reload_runs_exactly_the_code_on_disk()
    print(" ".join(f"{key}={value}" for key, value in COUNTS.items()))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
