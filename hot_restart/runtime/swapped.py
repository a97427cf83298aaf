"""Code that someone else swapped into instrumented functions: instrument it again.

Why this exists: IPython's ``%autoreload 2`` (IPython 9's default algorithm,
"deduperreload") updates an edited function in place by compiling just its
def from ``ast.unparse`` text and copying the new ``__code__`` into the live
function.  That code is plain (no trampoline) and its line numbers count
from the unparsed text, not the file: a crash in it is first seen by an
instrumented caller, so the banner names the caller, lines are wrong, and
``c`` re-runs the caller on the same unfixed helper.  (Autoreload's older
algorithm, used when the new one declines and on IPython 8, re-imports the
module through the import hook and so already gets instrumented code.)

The cure keeps one mechanism for "new code from disk": right after the
swap, every function that hot_restart has seen instrumented and that now
runs plain code is rebuilt from its file by ``reload.prepare_function``,
as a ``c`` would rebuild it: trampolined, with the file's line numbers,
and recorded as the text it now runs.  Functions that were plain from the
start (``@no_wrap``, a module that opts out) are never touched: only a
function seen instrumented counts.  The IPython extension calls ``check``
after autoreload's own pre-cell hook and after each cell; a check costs one
``os.stat`` per instrumented module and one look at each known function's
code.
"""

from __future__ import annotations

import os
import sys
import weakref
from types import CodeType, FunctionType

from ..errors import ReloadException
from ..transform import is_instrumented
from . import registry
from .messages import say
from .walk import functions_of_namespace

# Every function seen running instrumented code, with that code (its lines
# and scopes are what a rebuild from the file starts from).
_known: weakref.WeakKeyDictionary[FunctionType, CodeType] = weakref.WeakKeyDictionary()
# Per module, what its file and hot_restart's record of it were when last walked.
_walked: dict[str, tuple[object, ...]] = {}


def check() -> list[str]:
    """Instrument again what was swapped for plain code; learn new functions.

    Returns the qualified names rebuilt (for tests and the extension's report).
    """
    rebuilt = [name for name in map(_restore, list(_known.items())) if name is not None]
    for name in list(registry.modules):
        _walk(name)
    return rebuilt


def _walk(name: str) -> None:
    module = sys.modules.get(name)
    filename = getattr(module, "__file__", None)
    if module is None or not isinstance(filename, str):
        return
    try:
        st = os.stat(filename)
    except OSError:
        return
    # A re-import (registry.stamp) or an edit makes new function objects worth knowing.
    key = (registry.stamps.get(filename), st.st_mtime_ns, st.st_size, id(vars(module)))
    if _walked.get(name) == key:
        return
    _walked[name] = key
    for fn in functions_of_namespace(vars(module), name, filename):
        code = fn.__code__
        if is_instrumented(code):
            _known[fn] = code


def _restore(item: tuple[FunctionType, CodeType]) -> str | None:
    fn, last = item
    current = fn.__code__
    if current is last:
        return None
    if is_instrumented(current):
        _known[fn] = current  # reloaded by hot_restart itself: follow it
        return None
    if current.co_filename != last.co_filename or current.co_freevars != last.co_freevars:
        return None  # replaced by code from elsewhere: not a new version of this def
    from .reload import prepare_function

    qualname = fn.__qualname__
    # The rebuild starts from the version hot_restart knew (its lines, its
    # place in the file), exactly as a reload on ``c`` would.
    fn.__code__ = last
    try:
        prepare_function(fn, qualname).apply()
    except (ReloadException, SyntaxError) as e:
        fn.__code__ = current
        del _known[fn]
        say(
            f"{qualname} was reloaded by another tool and cannot be instrumented again ({e}); "
            "a crash in it will not stop"
        )
        return None
    _known[fn] = fn.__code__
    return qualname
