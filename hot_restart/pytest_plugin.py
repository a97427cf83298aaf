"""pytest plugin: ``pytest --hot-restart`` instruments the code under test.

Registered by entry point and off by default: installing hot_restart changes
nothing for a test run that does not ask for it.  With the flag:

- **What is instrumented.** The modules matching ``--hot-restart-pattern``
  (repeatable) or ``HOT_RESTART_PATTERNS`` (comma-separated).  The hook is
  installed in ``pytest_load_initial_conftests``, before any ``conftest.py``
  is imported, so modules a conftest imports are instrumented too (a module
  imported even earlier, by another plugin, is named in a warning in the
  run's warnings summary).  It sits after pytest's ``AssertionRewritingHook``:
  test modules and conftests keep pytest's assertion rewriting, and are not
  instrumented even when a pattern matches them.
- **A crash in the code under test.** pytest, which catches the failure, is
  not instrumented, so the default ``stop_on="unhandled"`` stops at the
  crash site.  The test function is not instrumented either, so the plugin
  tells the runtime (``STATE.handled_by_host``) what the trampoline's own
  rule cannot see: an exception that the test itself catches, in a
  ``pytest.raises`` block or a ``try``, or that a function it calls
  catches, is handled and does not stop.  Output capture is suspended while
  the debugger is open, as ``--pdb`` does (``capturemanager.suspend(in_=True)``,
  through the ``STATE.around_prompt`` hook of the session).  Fix the code,
  type ``c``: the function re-runs and the test goes on, and can pass.
- **A crash in the test function itself** (a failing ``assert`` in the test,
  a typo in it).  pytest owns test modules, so this plugin wraps the call
  instead: a ``pytest_pyfunc_call`` hook wrapper puts a function in place of
  ``item.obj`` for the duration of the call that calls the test, and when it
  raises, opens the debugger post mortem at the crash (live frames of the
  test and what it called, pytest's above).  On ``c`` the edited code under
  test is reloaded (every instrumented function whose file changed), then
  the test function itself (``reload_function``: its code is swapped in
  place, so parametrized siblings run the fix too), and it is called again
  with the same fixture values; a fixture the test mutated stays mutated.
  The reloaded test is compiled by hot_restart, not by pytest's rewriter: a
  failing ``assert`` in it then reports a plain ``AssertionError``, and a
  crash in it stops at its crash site like instrumented code.
  ``pytest.skip``/``xfail``/``exit`` are never offered, ``pytest.fail`` (and
  ``pytest.raises``' "DID NOT RAISE") are.  Coroutine tests are left to the
  plugin that runs them.  Wrapping rather than replacing the call keeps
  pytest's own checks (async tests without a plugin, tests returning a
  value) and other plugins' wrappers working.
- **xfail.** A test expected to fail never stops, as ``--pdb`` does not.
- ``--hot-restart-watch``: watch-to-continue (see ``runtime/watch.py``).

Without a terminal (asked when pytest loads this plugin: fds 0 and 1 are
redirected by output capture soon after), nothing is wrapped and nothing
prompts: every test ends as it would without the flag.  A pytest-xdist
worker (``-n``) has pipes for stdin and stdout, but the user's terminal is
still its controlling terminal: the debugger opens there, one worker at a
time, its banner naming the worker (``runtime/tty.py``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import pytest

_config: Any = None
_handle: Any = None
_saved: tuple[bool, bool] | None = None  # STATE.real_terminal, STATE.watch before us


def _real_terminal() -> bool:
    streams = (sys.__stdin__, sys.__stdout__)
    try:
        return all(s is not None and s.isatty() for s in streams)
    except (AttributeError, ValueError):
        return False


# Asked when pytest loads this plugin, before its output capture redirects
# the file descriptors 0 and 1 (after that they are no terminal any more).
_TERMINAL = _real_terminal()
# True once activated where a prompt can open: a terminal, or the
# controlling terminal of a pytest-xdist worker (runtime/tty.py).
_PROMPTS = False


def _xdist_worker_terminal() -> bool:
    """A pytest-xdist worker (stdin and stdout are its pipes) whose user has a terminal."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return False
    from .runtime import tty

    if not tty.available():
        return False
    tty.enable(f"pytest-xdist {worker}")
    return True


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("hot_restart")
    group.addoption(
        "--hot-restart",
        action="store_true",
        default=False,
        help="open a debugger at crashes in instrumented code; fix the code and continue",
    )
    group.addoption(
        "--hot-restart-pattern",
        action="append",
        default=[],
        metavar="PATTERN",
        help="module pattern to instrument (fnmatch over dotted names; repeatable); "
        "default: HOT_RESTART_PATTERNS",
    )
    group.addoption(
        "--hot-restart-watch",
        action="store_true",
        default=False,
        help="with --hot-restart: saving the crashed function's file continues by itself",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: Any) -> None:
    _activate(early_config, early_config.known_args_namespace)


def pytest_configure(config: Any) -> None:
    _activate(config, config.option)  # when loaded too late for the hook above


def _activate(config: Any, options: Any) -> None:
    global _config, _handle, _saved
    if _config is not None or not getattr(options, "hot_restart", False):
        return
    patterns = list(getattr(options, "hot_restart_pattern", None) or [])
    if not patterns:
        patterns = [p.strip() for p in os.environ.get("HOT_RESTART_PATTERNS", "").split(",")]
        patterns = [p for p in patterns if p]
    if not patterns:
        raise pytest.UsageError(
            "--hot-restart: no module to instrument; give --hot-restart-pattern 'myapp.*' "
            "or set HOT_RESTART_PATTERNS"
        )
    import warnings

    from .hook import install
    from .runtime.state import STATE

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        try:
            _handle = install(patterns)
        except ValueError as e:
            raise pytest.UsageError(str(e)) from None
    for warning in caught:
        message = (
            f"{warning.message} (under pytest: a plugin loaded before hot_restart's imported them)"
        )
        config.issue_config_time_warning(RuntimeWarning(message), stacklevel=2)
    _config = config
    _saved = (STATE.real_terminal, STATE.watch)
    if getattr(options, "hot_restart_watch", False):
        STATE.watch = True
    global _PROMPTS
    _PROMPTS = _TERMINAL or _xdist_worker_terminal()
    if _PROMPTS:
        STATE.real_terminal = _TERMINAL
        STATE.around_prompt = _capture_suspended
        STATE.handled_by_host = _handled_by_the_test


def pytest_unconfigure(config: Any) -> None:
    global _config, _handle, _saved, _PROMPTS
    if _config is None:
        return
    _PROMPTS = False
    from .runtime.state import STATE

    if _saved is not None:
        STATE.real_terminal, STATE.watch = _saved
    STATE.around_prompt = STATE.handled_by_host = None
    if _handle is not None:
        _handle.uninstall()
    _config = _handle = _saved = None


@contextmanager
def _capture_suspended() -> Iterator[None]:
    """Hand the terminal to the debugger, as pytest's own --pdb does.

    In a pytest-xdist worker the terminal is the controlling one, taken in
    turn with the other workers (runtime/tty.py).
    """
    from .runtime import tty

    capture = _config.pluginmanager.getplugin("capturemanager") if _config else None
    with tty.turn():
        if capture is not None:
            capture.suspend(in_=True)
        try:
            with tty.on_terminal():
                print(flush=True)  # off the line of progress dots, as --pdb does
                yield
        finally:
            if capture is not None:
                capture.resume()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: Any) -> Iterator[None]:
    """A test expected to fail never stops (as --pdb does not)."""
    if _config is None or not _PROMPTS or not _expected_to_fail(item, None):
        yield
        return
    from .runtime.state import STATE

    exiting, STATE.exiting = STATE.exiting, True
    try:
        yield
    finally:
        STATE.exiting = exiting


@pytest.hookimpl(hookwrapper=True)
def pytest_pyfunc_call(pyfuncitem: Any) -> Iterator[None]:
    """Call the test through a function that offers a fix and a re-run on a crash."""
    import inspect

    function = pyfuncitem.obj
    if (
        _config is None
        or not _PROMPTS
        or inspect.iscoroutinefunction(function)
        or inspect.isasyncgenfunction(function)
    ):
        yield
        return
    pyfuncitem.obj = _until_it_passes(pyfuncitem, function)
    try:
        yield
    finally:
        pyfuncitem.obj = function


# id() of the code of the test function being called, while it runs.
_test_code: list[int] = []


def _until_it_passes(item: Any, function: Any) -> Any:
    raw = _plain_function(function)

    def call_until_it_passes(**funcargs: Any) -> Any:
        __tracebackhide__ = True  # pytest leaves this frame out of its reports
        while True:
            if raw is not None:
                _test_code.append(id(raw.__code__))  # the version this call runs
            try:
                return function(**funcargs)
            except BaseException as exc:
                if not _offer_rerun(item, exc, function):
                    raise
            finally:
                if raw is not None:
                    _test_code.pop()

    return call_until_it_passes


def _handled_by_the_test(exc: BaseException, frame: FrameType) -> bool:
    """The test catches it (``pytest.raises``, ``try``) before pytest would.

    The test module is not instrumented (pytest rewrote it), so the
    trampoline's own rule ("the nearest catcher is instrumented code") would
    stop at an exception that the test itself expects.
    """
    if not _test_code:
        return False
    from .runtime.catchers import nearest_catcher

    catcher = nearest_catcher(frame.f_back, exc)
    if catcher is None:
        return False
    caught = False
    walk = frame.f_back
    while walk is not None:
        caught = caught or walk is catcher
        if id(walk.f_code) == _test_code[-1]:
            # Caught in the test or in what it called; else pytest catches it.
            return caught
        walk = walk.f_back
    return False  # not called by the test (another thread, a task): the usual rule


def _offer_rerun(item: Any, exc: BaseException, function: Any) -> bool:
    """The debugger post mortem at a crash in the test; True once the test was reloaded."""
    from .errors import ReloadException
    from .runtime import debuggers
    from .runtime.messages import say
    from .runtime.reload import reload_function
    from .runtime.session import reload_all
    from .runtime.state import STATE
    from .runtime.trampoline import decline, declined

    offered = isinstance(exc, Exception) or isinstance(exc, pytest.fail.Exception)
    if not offered or isinstance(exc, (pytest.skip.Exception, pytest.xfail.Exception)):
        return False  # pytest's control flow, Ctrl-C, SystemExit
    if declined(exc) or STATE.exiting or not STATE.interactive():
        return False  # already offered at the crash site, and declined
    if _expected_to_fail(item, exc):
        return False
    raw = _plain_function(function)
    if raw is None:
        return False
    qualname = getattr(raw.__code__, "co_qualname", None) or raw.__qualname__
    with _capture_suspended():
        print(f"> hot_restart: test {raw.__module__}.{qualname} failed with {exc!r}", flush=True)
        print(
            "> (c)ontinue: reload the test and the code under test from disk and run the test "
            "again | (q)uit: let it fail",
            flush=True,
        )
        while True:
            STATE.reraise_requested = False
            frame = sys._getframe()
            outcome = debuggers.run(debuggers.choose(), exc, frame, _watched(raw))
            if outcome.action == "quit" or STATE.exiting:
                STATE.reraise_requested = False
                decline(exc)
                return False
            try:
                under_test = reload_all(skip=raw)  # the fix may be in the code under test
                reload_function(raw, qualname)
            except ReloadException as e:
                say(str(e))
                continue
            say(f"reloaded {', '.join([*under_test, qualname])}")
            return True


def _plain_function(function: Any) -> Any:
    """The function object behind a test (a method's function, a decorated one's)."""
    from types import FunctionType

    seen = 0
    while seen < 100:
        seen += 1
        inner = getattr(function, "__func__", None) or getattr(function, "__wrapped__", None)
        if inner is None:
            break
        function = inner
    return function if isinstance(function, FunctionType) else None


def _watched(test: Any) -> list[str]:
    """Watch-to-continue after a test crash: the test's file and the code under test."""
    from .runtime import registry

    files = [test.__code__.co_filename]
    for name in sorted(registry.modules):
        file = getattr(sys.modules.get(name), "__file__", None)
        if isinstance(file, str):
            files.append(file)
    return files


def _expected_to_fail(item: Any, exc: BaseException | None) -> bool:
    if item.config.getoption("runxfail", False):
        return False
    try:
        from _pytest.skipping import xfailed_key

        xfailed = item.stash.get(xfailed_key, None)
    except (ImportError, AttributeError):
        marker = item.get_closest_marker("xfail")
        return marker is not None and marker.kwargs.get("run", True)
    if not xfailed:  # None: no xfail mark (pytest evaluated them at set-up)
        return False
    raises = xfailed.raises
    return exc is None or raises is None or isinstance(exc, raises)
