"""Tests for hot_restart.runtime.catchers: will a suspended frame catch?

Each test calls ``probe`` from inside the construct under test: ``probe``
asks about its caller's frame while that frame is suspended at the call,
which is exactly the state of a caller when an exception passes through.
"""

from __future__ import annotations

import builtins
import contextlib
import subprocess
import sys
import textwrap
import threading
import types
import unittest
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hot_restart.runtime import catchers
from hot_restart.runtime.catchers import nearest_catcher, will_catch


class CustomError(Exception):
    pass


class SubCustomError(CustomError):
    pass


errors = types.SimpleNamespace(nested=types.SimpleNamespace(Custom=CustomError))
ERRORS = (KeyError, CustomError)


def probe(*excs: BaseException) -> list[bool]:
    """will_catch for each exception, asked about the caller's frame."""
    frame = sys._getframe(1)
    return [will_catch(frame, exc) for exc in excs]


def probe_frame(*excs: BaseException) -> tuple[types.FrameType, list[bool]]:
    frame = sys._getframe(1)
    return frame, [will_catch(frame, exc) for exc in excs]


def no_handler_names() -> tuple[type[BaseException], ...]:
    return (KeyError,)


# --- except clauses ----------------------------------------------------------


def test_except_matching_and_non_matching_type() -> None:
    try:
        got = probe(ValueError(), UnicodeError(), KeyError(), KeyboardInterrupt())
    except ValueError:
        pass
    assert got == [True, True, False, False]


def test_except_tuple_global_tuple_and_attribute_chain() -> None:
    try:
        got = probe(KeyError(), TypeError(), SubCustomError(), ValueError())
    except (KeyError, TypeError):
        pass
    except errors.nested.Custom:
        pass
    assert got == [True, True, True, False]
    try:
        got = probe(KeyError(), SubCustomError(), ValueError())
    except ERRORS:
        pass
    assert got == [True, True, False]


def test_bare_except_catches_everything() -> None:
    try:
        got = probe(ValueError(), KeyboardInterrupt(), SystemExit())
    except:  # noqa: E722
        pass
    assert got == [True, True, True]


def test_handler_types_from_locals() -> None:
    def guarded(kind: type[BaseException], exc: BaseException) -> bool:
        try:
            [got] = probe(exc)
        except kind:
            pass
        return got

    assert guarded(KeyError, KeyError())
    # Same code, same line, same exception type, different local: not cached.
    assert not guarded(ValueError, KeyError())
    assert guarded(LookupError, KeyError())


def test_unresolvable_handler_counts_as_catching() -> None:
    try:
        got = probe(ValueError())
    except no_handler_names():  # a call: not evaluated
        pass
    assert got == [True]
    try:
        got = probe(ValueError())
    except undefined_name:  # type: ignore[name-defined]  # noqa: F821
        pass
    assert got == [True]


def test_nested_try_innermost_first_then_outward() -> None:
    try:
        try:
            got = probe(KeyError(), ValueError(), TypeError())
        except KeyError:
            pass
    except ValueError:
        pass
    assert got == [True, True, False]


def test_lines_in_handler_else_finally_are_not_protected_by_that_try() -> None:
    try:
        try:
            raise KeyError
        except KeyError:
            in_handler = probe(KeyError(), ValueError())
        else:
            pass
        try:
            pass
        except KeyError:
            pass
        else:
            in_else = probe(KeyError(), ValueError())
        finally:
            in_finally = probe(KeyError(), ValueError())
    except ValueError:
        pass
    # Not the inner try, but the outer one still protects these lines.
    assert in_handler == [False, True]
    assert in_else == [False, True]
    assert in_finally == [False, True]


def test_try_finally_without_handlers_does_not_catch() -> None:
    try:
        got = probe(ValueError())
    finally:
        pass
    assert got == [False]


def test_handler_that_only_reraises_is_transparent() -> None:
    try:
        try:
            got = probe(ValueError(), KeyError(), KeyboardInterrupt(), SystemExit())
        except ValueError:
            raise
        except Exception:
            pass
        except KeyboardInterrupt as exc:
            raise exc
    except (ValueError, SystemExit):
        pass
    # ValueError goes to the re-raising clause (never to ``except Exception``)
    # and on to the outer try; KeyboardInterrupt is re-raised and nothing
    # else takes it; SystemExit skips the inner try.
    assert got == [True, True, False, True]
    try:
        got = probe(ValueError())
    except ValueError as exc:
        raise RuntimeError from exc  # a new exception: this one is handled
    assert got == [True]


def test_multi_line_call_and_one_line_try() -> None:
    try:
        got = probe(
            ValueError(),
            KeyError(),
        )
    except ValueError:
        pass
    assert got == [True, False]


# --- with statements ---------------------------------------------------------


def test_contextlib_suppress() -> None:
    with contextlib.suppress(KeyError, CustomError):
        got = probe(KeyError(), SubCustomError(), ValueError())
    assert got == [True, True, False]
    from contextlib import suppress

    with suppress(ValueError):
        got = probe(ValueError(), KeyError())
    assert got == [True, False]
    cm = contextlib.suppress(TypeError)
    with cm:
        got = probe(TypeError(), KeyError())
    assert got == [True, False]


def test_pytest_raises() -> None:
    with pytest.raises(ValueError):
        got = probe(ValueError(), UnicodeError(), KeyError())
        raise ValueError
    assert got == [True, True, False]
    with pytest.raises((KeyError, TypeError), match="x"):
        got = probe(KeyError(), TypeError(), ValueError())
        raise KeyError("x")
    assert got == [True, True, False]
    check = pytest.raises(LookupError)  # the object, entered later
    with check:
        got = probe(KeyError(), ValueError())
        raise KeyError
    assert got == [True, False]


@contextlib.contextmanager
def expecting(kind: type[BaseException]) -> Iterator[None]:
    with pytest.raises(kind):  # the generator's own with, around its yield
        yield


@contextlib.contextmanager
def forgiving(kind: type[BaseException]) -> Iterator[None]:
    try:
        yield
    except kind:
        pass


def test_a_contextmanager_is_asked_at_its_yield() -> None:
    """Its suspended generator decides, with its own values (``kind``)."""
    with expecting(KeyError):
        got = probe(KeyError(), ValueError())
        raise KeyError
    assert got == [True, False]
    with forgiving(LookupError):
        got = probe(KeyError(), ValueError())
    assert got == [True, False]
    manager = forgiving(TypeError)  # the object, entered later
    with manager:
        got = probe(TypeError(), KeyError())
    assert got == [True, False]


class _ExitAsks:
    """Its ``__exit__`` asks about the frame holding the ``with``, then raises:
    the exception leaves that frame's with-statement, not its body."""

    def __init__(self) -> None:
        self.got: list[bool] = []

    def __enter__(self) -> _ExitAsks:
        return self

    def __exit__(self, *exc: object) -> None:
        frame = sys._getframe(1)
        self.got = [will_catch(frame, error) for error in (KeyError(), ValueError())]
        raise KeyError("from __exit__")


def _alone(asks: _ExitAsks) -> None:
    with asks:
        pass


def test_what_a_later_items_exit_raises_passes_the_earlier_items() -> None:
    asks = _ExitAsks()
    with pytest.raises(KeyError), asks:
        pass
    assert asks.got == [True, False]
    asks = _ExitAsks()
    with pytest.raises(KeyError):
        _alone(asks)
    assert asks.got == [False, False]


def test_unittest_assert_raises() -> None:
    results: dict[str, list[bool]] = {}

    class Case(unittest.TestCase):
        def test_it(self) -> None:
            with self.assertRaises(KeyError):
                results["raises"] = probe(KeyError(), ValueError())
                raise KeyError
            with self.assertRaisesRegex((TypeError, ValueError), "x"):
                results["regex"] = probe(TypeError(), ValueError(), KeyError())
                raise TypeError("x")
            with self.assertWarns(UserWarning):
                # assertWarns lets exceptions through: it does not catch.
                results["warns"] = probe(UserWarning(), ValueError())
                import warnings

                warnings.warn("w", UserWarning, stacklevel=1)

            def called_by_assert_raises() -> None:
                # Our caller is unittest's ``with self: callable_obj()``.
                frame = sys._getframe(1)
                results["callable"] = [
                    will_catch(frame, KeyError()),
                    will_catch(frame, ValueError()),
                ]
                raise KeyError

            self.assertRaises(KeyError, called_by_assert_raises)

    outcome = unittest.TestResult()
    Case("test_it").run(outcome)
    assert outcome.wasSuccessful(), outcome.errors + outcome.failures
    assert results == {
        "raises": [True, False],
        "regex": [True, True, False],
        "warns": [False, False],
        "callable": [True, False],
    }


class SwallowEverything:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> bool:
        return True


def test_other_context_managers_are_assumed_not_to_suppress() -> None:
    with contextlib.nullcontext():
        got = probe(ValueError())
    assert got == [False]
    with SwallowEverything():  # a documented limit: it does suppress
        got = probe(ValueError())
    assert got == [False]
    with contextlib.nullcontext(), contextlib.suppress(ValueError):
        got = probe(ValueError(), KeyError())
    assert got == [True, False]


def test_try_around_with_and_with_around_try() -> None:
    try:
        with contextlib.suppress(KeyError):
            got = probe(KeyError(), ValueError(), TypeError())
    except ValueError:
        pass
    assert got == [True, True, False]
    with contextlib.suppress(TypeError):
        try:
            got = probe(KeyError(), TypeError())
        except KeyError:
            pass
    assert got == [True, True]


# --- finding the code's source -------------------------------------------------


def passthrough(func: Callable[..., list[bool]]) -> Callable[..., list[bool]]:
    return func


def configurable(*args: object) -> Callable[[Callable[..., list[bool]]], Callable[..., list[bool]]]:
    return passthrough


@passthrough
@configurable(
    "x",
)
def decorated(
    exc: BaseException,
) -> list[bool]:
    try:
        return probe(exc)
    except KeyError:
        return [False]


def test_decorated_function_with_black_style_header() -> None:
    assert decorated(KeyError()) == [True]
    assert decorated(ValueError()) == [False]


def with_dedented_string(exc: BaseException) -> list[bool]:
    text = """
this line is at column 0, so the indentation scan ends the block here
"""
    try:
        return probe(exc)
    except KeyError:
        return [bool(text)]


def test_whole_file_fallback_when_block_scan_fails() -> None:
    assert with_dedented_string(KeyError()) == [True]
    assert with_dedented_string(ValueError()) == [False]


class Service:
    class Inner:
        def method(self, exc: BaseException) -> list[bool]:
            try:
                return probe(exc)
            except (KeyError, CustomError):
                return [False]

    @staticmethod
    async def coroutine(exc: BaseException) -> list[bool]:
        with contextlib.suppress(KeyError):
            return probe(exc)
        return [False]

    try:
        class_body = probe(KeyError(), ValueError())
    except KeyError:
        pass


def test_method_in_class_coroutine_and_class_body() -> None:
    assert Service.Inner().method(SubCustomError()) == [True]
    assert Service.Inner().method(ValueError()) == [False]
    coro = Service.coroutine(KeyError())
    with pytest.raises(StopIteration) as stop:
        coro.send(None)
    assert stop.value.value == [True]
    assert Service.class_body == [True, False]


def test_lambda_and_comprehension_frames_never_catch() -> None:
    seen: list[tuple[str, bool]] = []

    def record() -> None:
        frame = sys._getframe(1)
        seen.append((frame.f_code.co_name, will_catch(frame, KeyError())))

    try:
        (lambda: record())()
        list(record() for _ in range(1))
    except KeyError:
        pass
    assert seen == [("<lambda>", False), ("<genexpr>", False)]


def run_file(path: Path, source: str, **names: object) -> dict[str, object]:
    """Execute ``source`` as a module whose code comes from ``path``."""
    path.write_text(textwrap.dedent(source))
    namespace: dict[str, object] = {"__name__": path.stem, **names}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace


def test_module_level_frame(tmp_path: Path) -> None:
    namespace = run_file(
        tmp_path / "generated_module.py",
        """
        import contextlib

        try:
            protected = probe(KeyError(), ValueError())
        except KeyError:
            pass
        with contextlib.suppress(ValueError):
            suppressed = probe(KeyError(), ValueError())
        unprotected = probe(KeyError())
        """,
        probe=probe,
    )
    assert namespace["protected"] == [True, False]
    assert namespace["suppressed"] == [False, True]
    assert namespace["unprotected"] == [False]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="except* is 3.11+")
def test_except_star(tmp_path: Path) -> None:
    namespace = run_file(
        tmp_path / "star_module.py",
        """
        def guarded(exc):
            try:
                return probe(exc)
            except* KeyError:
                pass
            except* TypeError:
                raise

        def rewrapped(exc):
            try:
                try:
                    return probe(exc)
                except* TypeError:
                    raise  # a naked TypeError leaves wrapped in an ExceptionGroup
                except* ValueError:
                    pass
            except TypeError:
                return "plain except saw TypeError"
            except ExceptionGroup:
                pass

        def groups():
            return [
                guarded(KeyError()),
                guarded(ValueError()),
                guarded(ExceptionGroup("g", [KeyError(), KeyError()])),
                guarded(ExceptionGroup("g", [KeyError(), ValueError()])),
                guarded(ExceptionGroup("g", [KeyError(), TypeError()])),
                rewrapped(TypeError()),
                rewrapped(ExceptionGroup("g", [ValueError(), KeyError()])),
                rewrapped(KeyboardInterrupt()),
            ]
        """,
        probe=probe,
    )
    groups = namespace["groups"]
    assert callable(groups)
    assert groups() == [[True], [False], [True], [False], [False], [True], [True], [False]]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="suppress splits groups from 3.12")
def test_suppress_exception_group_leaves() -> None:
    group_type = vars(builtins)["ExceptionGroup"]
    with contextlib.suppress(KeyError):
        got = probe(group_type("g", [KeyError()]), group_type("g", [KeyError(), ValueError()]))
    assert got == [True, False]
    # The ValueError leaf goes on alone, in a new group: not a ValueError.
    try:
        with contextlib.suppress(KeyError):
            got = probe(group_type("g", [KeyError(), ValueError()]))
    except ValueError:
        pass
    assert got == [False]
    try:
        with contextlib.suppress(KeyError):
            got = probe(group_type("g", [KeyError(), ValueError()]))
    except group_type:
        pass
    assert got == [True]


def test_frame_without_source_does_not_catch() -> None:
    source = "def guarded(exc):\n    try:\n        return probe(exc)\n    except KeyError:\n        pass\n"
    namespace: dict[str, object] = {"probe": probe, "__name__": "from_string"}
    exec(compile(source, "<string>", "exec"), namespace)
    guarded = namespace["guarded"]
    assert callable(guarded)
    assert guarded(KeyError()) == [False]


# --- caching and walking --------------------------------------------------------


def test_cached_decisions_depend_on_exception_type() -> None:
    def guarded(exc: BaseException) -> list[bool]:
        try:
            return probe(exc)
        except KeyError:
            return [False]

    for _ in range(3):
        assert guarded(KeyError()) == [True]
        assert guarded(ValueError()) == [False]
        assert guarded(IndexError()) == [False]
    catchers.clear_cache()
    assert guarded(ValueError()) == [False]
    assert guarded(KeyError()) == [True]


def middle(exc: BaseException) -> types.FrameType | None:
    return nearest_catcher(sys._getframe(1), exc)


def outer(exc: BaseException) -> types.FrameType | None:
    try:
        return passes_through(exc)
    except ValueError:
        return None


def passes_through(exc: BaseException) -> types.FrameType | None:
    return middle(exc)


def test_nearest_catcher_walks_callers() -> None:
    found = outer(ValueError())
    assert found is not None and found.f_code is outer.__code__
    other = outer(KeyError())
    # Only frames outside this file (pytest's runner) may catch a KeyError.
    assert other is None or other.f_code.co_filename != __file__
    assert nearest_catcher(None, ValueError()) is None


def test_nearest_catcher_in_a_thread_is_threading() -> None:
    found: list[types.FrameType | None] = []
    thread = threading.Thread(target=lambda: found.append(middle(KeyError())))
    thread.start()
    thread.join()
    [frame] = found
    assert frame is not None and frame.f_code.co_filename == threading.__file__


def test_importing_is_cheap() -> None:
    code = (
        "import sys, hot_restart.runtime\n"
        "before = set(sys.modules)\n"
        "import hot_restart.runtime.catchers\n"
        "heavy = {'ast', 'dis', 'inspect', 'linecache', 'logging', 'tokenize', 'typing'}\n"
        "print(sorted(heavy & (set(sys.modules) - before)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- how a frame catches (catchers.find) --------------------------------------


def _find(exc: BaseException) -> tuple[int, types.FrameType | None, types.FrameType | None]:
    """catchers.find as if ``exc`` left this function into its caller."""
    return catchers.find(sys._getframe(), exc)


def test_a_clause_naming_the_kind_is_caught_a_catch_all_is_caught_all() -> None:
    try:
        named = _find(ValueError())
    except (TypeError, ValueError):
        pass
    try:
        everything = _find(ValueError())
    except Exception:
        pass
    try:
        bare = _find(ValueError())
    except:  # noqa: E722
        pass
    assert named[0] == catchers.CAUGHT
    assert everything[0] == catchers.CAUGHT_ALL
    assert bare[0] == catchers.CAUGHT_ALL


class _MaySuppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> bool:
        return exc_info[0] is KeyError


class _NeverSuppresses:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        return None


def test_a_context_manager_that_may_suppress_is_not_a_catcher_but_unsure() -> None:
    frame = sys._getframe()
    with _MaySuppress():
        maybe = (
            will_catch(frame, KeyError()),
            catchers._decide(frame, KeyError(), (0, -1, KeyError)),
        )
    with _NeverSuppresses():
        never = (
            will_catch(frame, KeyError()),
            catchers._decide(frame, KeyError(), (0, -2, KeyError)),
        )
    with contextlib.ExitStack():
        stack = catchers._decide(frame, KeyError(), (0, -3, KeyError))
    assert maybe == (False, catchers.MAY_SUPPRESS)
    assert never == (False, catchers.NOT_CAUGHT)
    assert stack == catchers.MAY_SUPPRESS


def test_module_level_code_of_an_instrumented_module_is_user_code(tmp_path: Path) -> None:
    from hot_restart.constants import HANDLER_NAME

    namespace: dict[str, object] = {HANDLER_NAME: object()}
    exec(
        compile("import sys\nframe = sys._getframe()\n", str(tmp_path / "m.py"), "exec"), namespace
    )
    plain: dict[str, object] = {}
    exec(compile("import sys\nframe = sys._getframe()\n", str(tmp_path / "p.py"), "exec"), plain)
    assert catchers.is_user_code(namespace["frame"])  # type: ignore[arg-type]
    assert not catchers.is_user_code(plain["frame"])  # type: ignore[arg-type]
    assert not catchers.is_user_code(sys._getframe())  # a function that is not instrumented


def _recurse(n: int, found: list[Any]) -> None:
    if n == 0:
        found.append(_find(KeyError()))
        return
    _recurse(n - 1, found)


def test_a_recursion_is_read_once_not_once_per_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    """The step a recursion repeats gives the same answers each time: after
    the first frames, the walk up to the catcher compares and moves on."""
    from hot_restart.runtime import boundaries

    _recurse(3, [])  # the decisions and steps of these frames are cached now
    steps: list[object] = []
    real = boundaries.step

    def counted(caller: types.FrameType, callee: types.FrameType, exc: BaseException) -> int:
        steps.append(caller.f_code.co_name)
        return real(caller, callee, exc)

    monkeypatch.setattr(boundaries, "step", counted)
    found: list[Any] = []
    try:
        _recurse(200, found)
    except KeyError:
        pass
    how, catcher, _ = found[0]
    assert how == catchers.CAUGHT and catcher is sys._getframe()
    assert steps.count("_recurse") < 5, steps


EDITED_BEFORE_THE_DECISION = """\
import os, sys
from pathlib import Path

sys.path.insert(0, sys.argv[1])
os.environ["HOT_RESTART_FORCE_PROMPT"] = "1"  # the handlers decide, as under a terminal
import hot_restart

hot_restart.install(patterns=["edited"])
import edited

path = Path(edited.__file__)
# Saved while the program runs (at another worker's prompt, say), not reloaded:
# the code running is still the text it was loaded from.
path.write_text("# a comment\\n" * 5 + path.read_text())
print(edited.caller("b"), edited.caller("a"))
"""


def test_a_decision_reads_the_text_the_code_was_loaded_from(tmp_path: Path) -> None:
    """Not the file as edited since: its lines moved, and the ``try`` with them."""
    from child import run

    (tmp_path / "edited.py").write_text(
        textwrap.dedent(
            """\
            def risky(k):
                return {"a": 1}[k]


            def caller(k):
                try:
                    return risky(k)
                except KeyError:
                    return "handled"
            """
        )
    )
    assert run(EDITED_BEFORE_THE_DECISION, tmp_path) == ["handled 1"]
