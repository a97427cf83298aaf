"""pytest plugin: ``pytest --hot-restart`` instruments the code under test.

Registered by entry point and off by default: installing hot_restart changes
nothing for a test run that does not ask for it.  With the flag:

- the modules matching ``--hot-restart-pattern`` (repeatable) or
  ``HOT_RESTART_PATTERNS`` (comma-separated) are instrumented by the import
  hook, which sits after pytest's assertion rewriting: test modules stay
  assertion-rewritten, the code under test gets the trampolines;
- a crash in instrumented code that nothing in it handles (pytest is the one
  that would catch it) opens the debugger at the crash site, with output
  capture suspended as ``--pdb`` does; fix the code and type ``c``: the
  function re-runs and the test goes on, and can pass;
- a crash in the test function itself (not instrumented: pytest rewrote it)
  opens the debugger post mortem; on ``c`` the test function is reloaded
  from disk and called again with the same fixtures.  Its reloaded version
  is instrumented, not assertion-rewritten, so a failing ``assert`` in it
  then reports a plain ``AssertionError``.

Without a terminal, nothing prompts and every test ends as without the flag.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_config: Any = None


def _real_terminal() -> bool:
    streams = (sys.__stdin__, sys.__stdout__)
    try:
        return all(s is not None and s.isatty() for s in streams)
    except (AttributeError, ValueError):
        return False


# Asked when pytest loads this plugin, before its output capture redirects
# the file descriptors 0 and 1 (after that they are no terminal any more).
_TERMINAL = _real_terminal()


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


def pytest_configure(config: Any) -> None:
    global _config
    if not config.getoption("hot_restart"):
        return
    patterns = list(config.getoption("hot_restart_pattern"))
    if not patterns:
        patterns = [p.strip() for p in os.environ.get("HOT_RESTART_PATTERNS", "").split(",")]
        patterns = [p for p in patterns if p]
    if not patterns:
        import pytest

        raise pytest.UsageError(
            "--hot-restart: no module to instrument; give --hot-restart-pattern 'myapp.*' "
            "or set HOT_RESTART_PATTERNS"
        )
    from .hook import install
    from .runtime.state import STATE

    try:
        install(patterns)
    except ValueError as e:
        import pytest

        raise pytest.UsageError(str(e)) from None
    _config = config
    if _TERMINAL:
        STATE.real_terminal = True
        STATE.around_prompt = _capture_suspended


def pytest_unconfigure(config: Any) -> None:
    global _config
    if config is not _config:
        return
    from .runtime.state import STATE

    STATE.real_terminal = False
    STATE.around_prompt = None
    _config = None


@contextmanager
def _capture_suspended() -> Iterator[None]:
    """Hand the terminal to the debugger, as pytest's own --pdb does."""
    capture = _config.pluginmanager.getplugin("capturemanager") if _config else None
    if capture is not None:
        capture.suspend_global_capture(in_=True)
    try:
        yield
    finally:
        if capture is not None:
            capture.resume_global_capture()


def pytest_pyfunc_call(pyfuncitem: Any) -> bool | None:
    """Call the test function; on a crash in it, offer to fix it and call it again."""
    if _config is None or not _TERMINAL:
        return None
    import inspect

    function = pyfuncitem.obj
    if inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function):
        return None  # left to the async plugin that runs it
    names = pyfuncitem._fixtureinfo.argnames
    arguments = {name: pyfuncitem.funcargs[name] for name in names}
    while True:
        try:
            function(**arguments)
            return True
        except BaseException as exc:
            if not _offer_rerun(exc, function):
                raise


def _offer_rerun(exc: BaseException, function: Any) -> bool:
    """Post-mortem at a crash in the test function; True when it was reloaded."""
    from _pytest.outcomes import OutcomeException

    from .errors import ReloadException
    from .runtime import debuggers
    from .runtime.messages import say
    from .runtime.reload import reload_function
    from .runtime.session import reload_all
    from .runtime.state import STATE
    from .runtime.trampoline import DECLINED

    if isinstance(exc, (OutcomeException, KeyboardInterrupt, SystemExit)):
        return False  # pytest.skip/xfail/fail, or the user stopping the run
    if exc.__dict__.get(DECLINED) or STATE.exiting:
        return False  # already offered at the crash site, and declined
    raw = inspect_unwrap(function)
    qualname = raw.__qualname__
    with _capture_suspended():
        print(f"> hot_restart: test {raw.__module__}.{qualname} failed with {exc!r}", flush=True)
        print(
            "> (c)ontinue: reload the test from disk and run it again | (q)uit: fail it", flush=True
        )
        while True:
            outcome = debuggers.run(debuggers.choose(), exc, sys._getframe())
            if outcome.action == "quit" or STATE.exiting:
                exc.__dict__[DECLINED] = True
                return False
            try:
                reload_all()  # the fix may be in the code under test
                reload_function(raw, qualname)
            except ReloadException as e:
                say(str(e))
                continue
            say(f"reloaded {qualname}")
            return True


def inspect_unwrap(function: Any) -> Any:
    while hasattr(function, "__wrapped__"):
        function = function.__wrapped__
    return function
