"""A pytest plugin the harness loads (``-p fidelity_probe``) in every run of a suite.

At the end of the session it writes, to ``$FIDELITY_PROBE_OUT``, what the
suite's package looked like in this process: each module's loader class, how
many of its functions (module level and in classes) run instrumented code,
and which files were instrumented in this process (a run served from the
bytecode cache instruments none): under the hook it counts the calls of
``hot_restart.transform.instrument_source``, which the loader looks up at
each cache miss. Otherwise it changes nothing, so the plain run loads it too.

In the run where a prompt is possible (``HOT_RESTART_FORCE_PROMPT=1``) it
also records every stop: it sets ``STATE.around_prompt``, the hook a host
that captures output uses, and notes the test running (or ``collection`` /
``session``) and the exception, which a test's own redirection of
``sys.stdout`` (click's ``CliRunner``, ``redirect_stdout``) or pytest's
capture during collection would hide from the run's output. It does not
suspend output capture, so the banner goes where it would without the probe.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from types import FunctionType
from typing import Any

# hot_restart.constants.HANDLER_NAME, not imported: the plain run must not import hot_restart.
HANDLER_NAME = "__hot_restart__"
INSTRUMENTED_FILES: list[str] = []
STOPS: list[dict[str, str]] = []  # each stop: the test running, the exception
_running = "collection"

_transform = sys.modules.get("hot_restart.transform")  # the runner imports it before pytest
if _transform is not None:
    _real_instrument_source = _transform.instrument_source

    def _counting_instrument_source(source: Any, filename: str, **options: Any) -> Any:
        INSTRUMENTED_FILES.append(filename)
        return _real_instrument_source(source, filename, **options)

    _transform.instrument_source = _counting_instrument_source


@contextlib.contextmanager
def _recording_stop() -> Iterator[None]:
    # Called in the trampoline's handler: the exception is being handled, and its
    # traceback starts at the instrumented frame that stops (the banner's function).
    exc = sys.exc_info()[1]
    tb = exc.__traceback__ if exc is not None else None
    where, callers = "?", []
    if tb is not None:
        frame = tb.tb_frame
        code = frame.f_code
        where = (
            f"{frame.f_globals.get('__name__', '?')}.{getattr(code, 'co_qualname', code.co_name)}"
        )
        caller = frame.f_back
        while caller is not None and len(callers) < 6:  # for the diagnosis
            callers.append(f"{caller.f_code.co_filename}:{caller.f_lineno} {caller.f_code.co_name}")
            caller = caller.f_back
        while tb.tb_next is not None:
            tb = tb.tb_next
    site = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb is not None else "?"
    STOPS.append(
        {
            "test": _running,
            "exception": repr(exc),
            "banner": f"> hot_restart: {where} raised {exc!r}",
            "raised_at": site,
            "callers": callers,
        }
    )
    yield


_state = sys.modules.get("hot_restart.runtime.state")
if _state is not None and os.environ.get("HOT_RESTART_FORCE_PROMPT", "") not in ("", "0"):
    _state.STATE.around_prompt = _recording_stop


def pytest_runtest_logstart(nodeid: str) -> None:
    global _running
    _running = nodeid


def pytest_runtest_logfinish() -> None:
    global _running
    _running = "session"


def _functions(module: Any) -> list[FunctionType]:
    """The module's functions (module level and in its classes) that must be instrumented.

    Unwrapped (``contextmanager``, ``wraps``), and only those compiled from the
    module's own file that name something: lambdas and 3.14's compiler-made
    ``__annotate__`` functions (PEP 649) are expression scopes (never
    instrumented), a body of only a docstring cannot raise (left plain), and
    code made by ``exec`` (dataclass methods) is not the module's source.
    """
    found = []
    for value in list(vars(module).values()):
        candidates = [value]
        if isinstance(value, type) and value.__module__ == module.__name__:
            candidates = [getattr(v, "__func__", v) for v in vars(value).values()]
            candidates += [getattr(v, "fget", None) for v in vars(value).values()]
        for fn in candidates:
            while hasattr(fn, "__wrapped__"):
                fn = fn.__wrapped__
            if not isinstance(fn, FunctionType) or fn.__module__ != module.__name__:
                continue
            code = fn.__code__
            if code.co_filename != module.__file__ or code.co_name in ("<lambda>", "__annotate__"):
                continue
            if code.co_names:
                found.append(fn)
    return found


def pytest_sessionfinish(session: Any) -> None:
    out, package = os.environ.get("FIDELITY_PROBE_OUT"), os.environ.get("FIDELITY_PACKAGE")
    if not out or not package:
        return
    modules = {}
    for name, module in sorted(sys.modules.items()):
        if module is None or not (name == package or name.startswith(package + ".")):
            continue
        if ".tests" in name or not getattr(module, "__file__", None):
            continue
        functions = _functions(module)
        modules[name] = {
            "loader": type(getattr(module, "__loader__", None)).__name__,
            "file": module.__file__,
            "functions": len(functions),
            "instrumented": sum(HANDLER_NAME in f.__code__.co_names for f in functions),
        }
    with open(out, "w") as f:
        json.dump({"modules": modules, "instrumented_files": INSTRUMENTED_FILES, "stops": STOPS}, f)
