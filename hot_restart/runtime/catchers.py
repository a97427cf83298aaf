"""Will a suspended frame catch an exception?  Answered from source, fast.

Why this exists: under the "unhandled" stop policy the runtime opens the
debugger only when nothing in instrumented code is going to handle the
exception.  Python offers no way to ask a frame "would you catch this?", so
the answer is read from the source of each caller: the ``try`` statements and
the ``with`` statements whose body contains the line where the caller is
suspended, innermost first.  The trampoline's own ``try/except BaseException``
is generated code that is not in the file on disk, so it is ignored for free.

This runs on every exception that leaves an instrumented function, so:

* nothing heavy is imported with this module (``ast`` and ``linecache`` are
  imported on the first cold lookup only);
* the regions of a code object are computed once (one parse of just the
  def or class block) and kept per code object;
* a decision is cached per (code, instruction offset, exception type) when
  every handler expression it needed resolved through globals or builtins.
  The offset (``f_lasti``) stands for the line: it determines the line, and
  unlike ``f_lineno`` it is a plain read (the line needs a walk of the
  code's line table).
* walking up, a step identical to the one just let through by cached
  answers (same caller code and offset, same callee code, same type: a
  recursion) is passed with three identity comparisons and no key built:
  it would give the same answers;
* both caches are keyed by ``id(code)``, not by the code object: hashing a
  code object hashes its bytecode and constants on every call (5 us for a
  600-line module on 3.11, 17 us on 3.12), which would dominate the walk.
  The regions table holds each code object, so its id cannot be reused
  while any entry for it exists.

Limits, each chosen to err towards "handled" only where a wrong "handled"
merely delays a stop, and towards "not handled" for context managers, whose
``__exit__`` nearly never suppresses:

* Handler types are evaluated without calling anything: names (locals, then
  globals, then builtins), attribute chains and tuples of those.  Anything
  else (a call, a subscript, an unbound name) counts as catching.  Matching
  follows the interpreter (the exception type's MRO), so a metaclass
  ``__instancecheck__``/``__subclasscheck__`` is not consulted.
* A handler whose whole body is a bare ``raise`` (or ``raise e`` of its own
  ``as e`` name) does not count as catching: the exception goes on to the
  enclosing ``try``, and the debugger can stop where the exception started.
* ``except*``: caught only if every leaf of the group (or the exception
  itself) is taken by a clause that does not simply re-raise; what goes on
  to the enclosing regions is what the interpreter would raise (the leftover
  leaves, or a naked exception wrapped in a group once a clause re-raised it).
* Only these context managers are known to suppress: ``contextlib.suppress``,
  ``pytest.raises`` and ``unittest.TestCase.assertRaises`` /
  ``assertRaisesRegex`` (as ``with f(...)`` calls, and for ``suppress`` and
  unittest's assert-raises context also as ``with obj:``, which is how
  ``assertRaises(E, func)`` runs ``func``).  ``assertWarns`` lets exceptions
  through, so it does not count.  A context manager that may suppress
  (a Python ``__exit__`` with a ``return`` of anything but None or False,
  such as ``ExitStack``'s; a ``@contextmanager`` generator whose ``yield``
  is inside a ``try`` with an ``except``) makes the frame MAY_SUPPRESS: not
  a catcher, but the trampoline does not stop below it on a guess; the
  frame's own handler decides if the exception gets there.  Context managers
  whose ``__exit__`` is C code (files, locks) never suppress.
* How a frame catches matters outside the user's code: a clause naming the
  exception's kind (``except (TypeError, ValueError)``, argparse's ``type=``)
  is CAUGHT, a handled exception; a catch-all (bare, ``Exception``,
  ``BaseException``, or a type that cannot be evaluated) is CAUGHT_ALL, the
  crash barrier of a framework, where the trampoline stops.
* :func:`find` also reads the step between each frame and its caller for
  the kinds of exception C code swallows (see :mod:`.boundaries`).
* Only the ``body`` of a ``try`` or ``with`` is protected, and for ``with
  A(), B():`` what B's ``__exit__`` or ``__enter__`` raises is taken to pass
  A's exit (``_later_items``); a ``return``, ``break`` or ``continue``
  inside ``finally`` (which swallow exceptions) is not modelled.
* The source is the text the code was compiled from, as hot_restart keeps
  it (``locate.lines_of``: the text loaded at import or at the last reload,
  and the text that code replaced since, which a frame suspended across a
  reload still runs).  For other code it is what ``linecache`` has now: if
  that file changed since the code was compiled the answer may be wrong.
  A frozen standard-library module is read from the file it was frozen
  from (see ``_lines``); importlib's regions do not count (its catch-alls
  clean up and re-raise), only its calls are read.  Without
  source (``-c``, ``exec`` of a string) a frame is taken not to catch.
* A few library functions catch everything only to pass it on
  (``_PASSING``: ``@contextmanager``'s exits, ``Enum.__new__`` around
  ``_missing_``): their regions do not count.
* Cached decisions assume that module-level exception names keep their
  values; call :func:`clear_cache` after rebinding them (a reload that
  re-executes a module) to drop the decisions made with the old values.
"""

from __future__ import annotations

import builtins
import sys

# A plain constant instead of importing typing: this module must stay cheap
# to import; mypy treats any name ``TYPE_CHECKING`` as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import ast
    from collections.abc import Iterator
    from types import CodeType, FrameType, ModuleType
    from typing import Any, TypeAlias

    # Compiled handler/argument expression: (_NAME, name, scope),
    # (_ATTR, base, (attr, ...)), (_TUPLE, (expr, ...)) or (_OPAQUE,).
    Expr: TypeAlias = tuple[Any, ...]
    # One except clause: (type expression or None for a bare except, re-raises).
    Handler: TypeAlias = tuple["Expr | None", bool]
    # One with-item: (_CALL, func, args, ((keyword, expr), ...), has_star)
    # or (_OBJ, expr).
    WithItem: TypeAlias = tuple[Any, ...]
    # (first line, last line, nesting depth, kind, handlers or with-items)
    Region: TypeAlias = tuple[int, int, int, int, tuple[Any, ...]]

__all__ = [
    "AS_GROUP",
    "CAUGHT",
    "CAUGHT_ALL",
    "GATHERED",
    "MAY_SUPPRESS",
    "NOT_CAUGHT",
    "SWALLOWED",
    "clear_cache",
    "decision_is_stable",
    "find",
    "is_user_code",
    "nearest_catcher",
    "will_catch",
]

# Region kinds.
_TRY = 0
_TRY_STAR = 1
_WITH = 2

# Expression tags.
_NAME = 0
_ATTR = 1
_TUPLE = 2
_OPAQUE = 3

# Where a name is looked up.
_FAST = 0  # a function's local, cell or free variable: f_locals only
_GLOBAL = 1  # f_globals, then f_builtins
_NAMESPACE = 2  # module or class body: f_locals, then f_globals, then builtins

# With-item tags.
_CALL = 0
_OBJ = 1

_CO_OPTIMIZED = 0x1  # inspect.CO_OPTIMIZED: set for function code only

_MISSING: Any = object()  # a value that could not be resolved without calling code

# Exception groups exist from 3.11 on; an empty tuple makes isinstance() false.
_GROUP_TYPES: tuple[type[BaseException], ...] = tuple(
    getattr(builtins, name) for name in ("BaseExceptionGroup",) if hasattr(builtins, name)
)
_EXCEPTION_GROUP_TYPES: tuple[type[BaseException], ...] = tuple(
    getattr(builtins, name) for name in ("ExceptionGroup",) if hasattr(builtins, name)
)
_SUPPRESS_SPLITS_GROUPS: bool = sys.version_info >= (3, 12)


class _CodeRegions:
    """The protected regions of one code object, plus a per-offset memo.

    Holds the code object itself, which keeps ``id(code)`` keys valid.  The
    memo is keyed by ``f_lasti`` so that undecidable-in-advance lookups (a
    handler named by a local) skip ``f_lineno`` too.
    """

    __slots__ = ("by_offset", "code", "regions")

    def __init__(self, code: CodeType, regions: tuple[Region, ...]) -> None:
        self.code = code
        self.regions = regions
        self.by_offset: dict[int, tuple[Region, ...]] = {}

    def chain(self, frame: FrameType) -> tuple[Region, ...]:
        """Regions whose body contains the frame's line, innermost first."""
        offset = frame.f_lasti
        found = self.by_offset.get(offset)
        if found is None:
            line = frame.f_lineno
            if line is None:  # no line for this instruction (3.12+ artificial code)
                return ()
            inside = [r for r in self.regions if r[0] <= line <= r[1]]
            inside.sort(key=_depth, reverse=True)
            found = tuple(inside)
            self.by_offset[offset] = found
        return found


def _depth(region: Region) -> int:
    return region[2]


_regions: dict[int, _CodeRegions] = {}  # id(code) -> regions
_decisions: dict[tuple[int, int, type], int] = {}  # (id(code), f_lasti, type) -> how caught
# The last few whole-file parses, for the fallback path: filename -> (lines, tree).
_whole_files: dict[str, tuple[list[str], ast.Module]] = {}
_WHOLE_FILES_KEPT = 4

# How a frame takes an exception (cached per code, offset and type).
NOT_CAUGHT = 0
CAUGHT = 1  # an except clause naming its kind, or a known suppressing context manager
CAUGHT_ALL = 2  # a clause that takes anything: bare, Exception, BaseException, unknown
SWALLOWED = 3  # C code called at that line swallows it (hasattr, the attribute protocol, ...)
MAY_SUPPRESS = 4  # not caught, but a ``with`` whose __exit__ may return true is around the line
GATHERED = 5  # find(): asyncio.gather(..., return_exceptions=True) makes it a result (handoff)
_TAKES = (CAUGHT, CAUGHT_ALL, SWALLOWED)


def will_catch(frame: FrameType, exc: BaseException) -> bool:
    """True if `frame`, suspended at its current line (frame.f_lineno, a call in progress), will catch `exc`."""
    key = (id(frame.f_code), frame.f_lasti, type(exc))
    caught = _decisions.get(key)
    if caught is None:
        caught = _decide(frame, exc, key)
    return caught in _TAKES


def nearest_catcher(frame: FrameType | None, exc: BaseException) -> FrameType | None:
    """Walk frame, frame.f_back, ... and return the first frame that will catch exc, or None."""
    cls = type(exc)
    decisions = _decisions
    while frame is not None:
        key = (id(frame.f_code), frame.f_lasti, cls)
        caught = decisions.get(key)
        if caught is None:
            caught = _decide(frame, exc, key)
        if caught in _TAKES:
            return frame
        frame = frame.f_back
    return None


def find(
    raised_in: FrameType, exc: BaseException
) -> tuple[int, FrameType | None, FrameType | None]:
    """Who takes ``exc`` as it leaves ``raised_in``: (how, catcher, defer_to).

    Walks the callers like :func:`nearest_catcher`, and also reads each step
    between two frames (see :mod:`.boundaries`) when the exception is of a
    kind that C code swallows: a step through ``hasattr`` makes the frame
    that called it the catcher (SWALLOWED).  ``defer_to`` is the nearest
    trampolined frame above a step through C code that might swallow it
    (below the catcher): a stop decided now would be a guess, and that
    frame's handler will decide again if the exception reaches it.

    Where a thread pool's worker or an asyncio task hands the exception to
    whoever waits for the result, the walk goes on in that waiter (see
    :mod:`.handoff`); it ends in GATHERED for ``asyncio.gather(...,
    return_exceptions=True)``.  What is found past a hand-off must not be
    cached as a path (the waiter is no caller): see trampoline._handled.
    """
    cls = type(exc)
    decisions = _decisions
    below = raised_in
    # ``handed_off``: ``below`` is where a hand-off was, no step between to
    # read; ``waiters``: the rest of an awaiting task's frames (see handoff).
    frame, waiters, handed_off = _next_frame(raised_in, raised_in.f_back, [])
    boundaries: ModuleType | None = None
    if issubclass(cls, _C_SWALLOWS):
        from . import boundaries as _boundaries  # only for the kinds C code swallows

        boundaries = _boundaries
    unsure = False
    defer: FrameType | None = None
    # The last step found to let it through by cached (stable) answers only:
    # its caller's code and offset, and its callee's code.  A recursion
    # repeats that step frame after frame, and each would give the same
    # answers: skipped, the walk up a deep recursion costs a few identity
    # comparisons per frame (no key built: below's code is the code of the
    # frame looked at just before).
    passed_code: CodeType | None = None
    passed_lasti = -1
    passed_callee: CodeType | None = None
    below_code = below.f_code
    while frame is not None:
        if frame is _GATHERED_FRAME:
            return GATHERED, None, None
        if frame is AS_GROUP:  # past a TaskGroup's exit: its frames see a group
            exc, frame = _grouped(exc), waiters.pop(0)
            cls, boundaries, passed_code = type(exc), None, None
        code: CodeType = frame.f_code
        lasti = frame.f_lasti
        if code is passed_code and lasti == passed_lasti and below_code is passed_callee:
            below = frame
            below_code = code
            frame = frame.f_back  # a recursion: never within an awaiting task's frames
            continue
        key = (id(code), lasti, cls)
        caught = decisions.get(key)
        if caught is None:
            caught = _decide(frame, exc, key)
        if caught == MAY_SUPPRESS:
            unsure = True  # ExitStack, a custom __exit__: the frame decides if it gets there
            caught = NOT_CAUGHT
        if caught == CAUGHT or (caught and is_user_code(frame)):
            return caught, frame, defer
        if boundaries is not None and not handed_off:
            step = boundaries.step(frame, below, exc)
            if step == boundaries.SWALLOWS:
                return SWALLOWED, frame, defer
            if step == boundaries.BECOMES_IMPORT_ERROR:
                if will_catch(frame, ImportError()):
                    return CAUGHT, frame, defer
                unsure = True
            if step == boundaries.UNKNOWN:
                unsure = True
        handed_off = False
        if caught:
            waiter = _waiter_of_work(frame)
            if waiter is None:
                return caught, frame, defer  # a catch-all outside the user's code
            below, below_code, frame, handed_off = frame, code, waiter, True
            passed_code = None
            continue
        if unsure and defer is None and _trampolined(frame.f_code):
            defer = frame
        stable = key in decisions and (boundaries is None or boundaries.cached(frame, below, exc))
        if stable and not waiters:
            passed_code, passed_lasti, passed_callee = code, lasti, below_code
        else:
            passed_code = None
        below = frame
        below_code = code
        up = waiters.pop(0) if waiters else frame.f_back
        frame, waiters, handed_off = _next_frame(below, up, waiters)
    return NOT_CAUGHT, None, defer


def _trampolined(code: CodeType) -> bool:
    """A function with a trampoline, whose handler can decide again.  Not a
    module's top-level code: it names the handler (it binds it) but has no
    ``except`` that would ask."""
    return bool(code.co_flags & _CO_OPTIMIZED) and HANDLER in code.co_names


#: ``_next_frame``'s answer for ``asyncio.gather(..., return_exceptions=True)``.
_GATHERED_FRAME: Any = object()
#: Among an awaiting task's frames (handoff): the frames after it see the
#: exception in a group (an ``asyncio.TaskGroup``'s exit raises them as one).
AS_GROUP: Any = object()


def _grouped(exc: BaseException) -> BaseException:
    from . import handoff

    return handoff.as_group(exc)


_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE


def _waiter_of_work(frame: FrameType) -> FrameType | None:
    """The frame waiting in ``result()`` for this thread pool work item, if
    ``frame`` is the pool's worker catching everything and one thread waits."""
    if frame.f_code.co_name != "run" or "concurrent.futures.thread" not in sys.modules:
        return None
    from . import handoff

    if frame.f_code is not handoff.worker_code():
        return None
    return handoff.waiter_of_work(frame)


def _next_frame(
    below: FrameType, up: FrameType | None, waiters: list[FrameType]
) -> tuple[Any, list[FrameType], bool]:
    """Where the walk goes after ``below``: ``up`` (its ``f_back``, or the next
    of ``waiters``), unless ``below`` is the outermost coroutine of the running
    asyncio task, whose step (C code) takes what leaves it though ``f_back``
    shows the event loop's frames: then the awaiting task's innermost frame
    (or _GATHERED_FRAME) and its other frames.  And whether that was a hand-off."""
    if waiters or not below.f_code.co_flags & _CO_COROUTINE or "asyncio" not in sys.modules:
        return up, waiters, False
    from . import handoff

    frames = handoff.awaiters(below)
    if frames is handoff.GATHERED:
        return _GATHERED_FRAME, [], True
    if not frames:
        return up, waiters, False
    return frames[0], frames[1:], True


HANDLER = "__hot_restart__"  # constants.HANDLER_NAME, without importing the package
# Exception kinds that CPython's C code swallows after calling Python code:
# AttributeError (hasattr, getattr with a default, the attribute protocol's
# __getattr__ fallback), TypeError (length hints), LookupError (IndexError
# ends the old iteration protocol).
_C_SWALLOWS = (AttributeError, TypeError, LookupError)
_CO_NAMESPACE_USER: dict[int, tuple[CodeType, bool]] = {}


def is_user_code(frame: FrameType) -> bool:
    """Instrumented code: a trampolined function, or the top-level (module or
    class body) code of an instrumented module, which has no trampoline but
    is the user's code all the same."""
    code = frame.f_code
    if HANDLER in code.co_names:
        return True
    if code.co_flags & _CO_OPTIMIZED:
        return False
    if frame.f_globals.get(HANDLER) is not None:
        return True  # the loader and the runner give instrumented modules the handler
    known = _CO_NAMESPACE_USER.get(id(code))
    if known is None or known[0] is not code:
        nested = [c for c in code.co_consts if hasattr(c, "co_names")]
        known = (code, any(HANDLER in c.co_names for c in nested))
        _CO_NAMESPACE_USER[id(code)] = known
    return known[1]


def decision_is_stable(frame: FrameType, exc: BaseException) -> bool:
    """The decision for this frame is cached, so it cannot vary: callers may cache theirs."""
    return (id(frame.f_code), frame.f_lasti, type(exc)) in _decisions


def clear_cache() -> None:
    """Forget every region and decision, e.g. after module globals were rebound."""
    _decisions.clear()  # first: no decision may outlive the code it names
    _regions.clear()
    _whole_files.clear()
    _CO_NAMESPACE_USER.clear()
    _exit_verdicts.clear()
    boundaries = sys.modules.get(__package__ + ".boundaries") if __package__ else None
    if boundaries is not None:
        boundaries.clear_cache()


# ---------------------------------------------------------------------------
# Deciding (the cold path: first time for this code, offset and type)


def _decide(frame: FrameType, exc: BaseException, key: tuple[int, int, type]) -> int:
    """Evaluate the regions around the frame's line; cache when the answer can't vary."""
    code = frame.f_code
    info = _regions.get(key[0])
    if info is None or info.code is not code:
        info = _CodeRegions(code, _build_regions(code, frame.f_globals))
        _regions[key[0]] = info
    chain = info.chain(frame)
    if not chain:
        _remember(key, NOT_CAUGHT, info)
        return NOT_CAUGHT
    resolver = _Resolver(frame)
    escaping = _Escaping(exc)
    caught = NOT_CAUGHT
    maybe = False
    for region in chain:
        kind = region[3]
        if kind == _TRY:
            caught = _try_catches(region[4], escaping.cls, resolver)
        elif kind == _TRY_STAR:
            caught = CAUGHT if _try_star_catches(region[4], escaping, resolver) else NOT_CAUGHT
        elif _with_suppresses(region[4], escaping, resolver):
            caught = CAUGHT
        elif not maybe:
            maybe = _with_may_suppress(region[4], resolver)
        if caught:
            break
    if not caught and maybe:
        caught = MAY_SUPPRESS
    if resolver.cacheable and not isinstance(exc, _GROUP_TYPES):
        _remember(key, caught, info)
    return caught


def _remember(key: tuple[int, int, type], caught: int, info: _CodeRegions) -> None:
    """Cache a decision, unless clear_cache() ran meanwhile (in another thread)
    and dropped the entry that keeps the id in the key from being reused."""
    _decisions[key] = caught
    if _regions.get(key[0]) is not info:
        _decisions.pop(key, None)


class _Resolver:
    """Evaluates compiled expressions in one frame without calling any code.

    Records whether the result depended on anything but globals and builtins
    (``cacheable`` false), so that such decisions are not cached.
    """

    __slots__ = ("_locals", "cacheable", "frame")

    def __init__(self, frame: FrameType) -> None:
        self.frame = frame
        self.cacheable = True
        self._locals: Any = None

    def value(self, expr: Expr) -> Any:
        """The object ``expr`` denotes, or ``_MISSING``."""
        tag = expr[0]
        if tag == _NAME:
            return self._name(expr[1], expr[2])
        if tag == _ATTR:
            value = self.value(expr[1])
            for attr in expr[2]:
                if value is _MISSING:
                    break
                try:
                    value = getattr(value, attr)
                except Exception:
                    value = _MISSING
                    self.cacheable = False  # the attribute may appear later
            return value
        if tag == _TUPLE:
            items = tuple(self.value(item) for item in expr[1])
            return _MISSING if _MISSING in items else items
        return _MISSING  # _OPAQUE: would need a call to evaluate

    def _name(self, name: str, scope: int) -> Any:
        frame = self.frame
        if scope != _GLOBAL:
            namespace = self._locals
            if namespace is None:
                # f_locals builds a dict (<= 3.12) or a proxy (3.13): only when needed.
                namespace = self._locals = frame.f_locals
            if namespace is not frame.f_globals:
                self.cacheable = False
                value = namespace.get(name, _MISSING)
                if value is not _MISSING or scope == _FAST:
                    return value
        value = frame.f_globals.get(name, _MISSING)
        if value is _MISSING:
            value = frame.f_builtins.get(name, _MISSING)
            if value is _MISSING:
                self.cacheable = False  # may be defined later
        return value


# ---------------------------------------------------------------------------
# Matching, as the interpreter and the known context managers do it


def _is_exception_class(obj: object) -> bool:
    return isinstance(obj, type) and BaseException in obj.__mro__


def _except_matches(exc_type: type, spec: Any) -> bool:
    """``except spec`` takes ``exc_type``; an invalid spec counts as catching.

    The interpreter compares against the MRO (PyErr_GivenExceptionMatches)
    and raises TypeError for anything but a class or a flat tuple of classes;
    that TypeError replaces the exception, which we count as "handled".
    """
    if isinstance(spec, tuple):
        if not all(_is_exception_class(item) for item in spec):
            return True
        mro = exc_type.__mro__
        return any(item in mro for item in spec)
    if _is_exception_class(spec):
        return spec in exc_type.__mro__
    return True


def _subclass_matches(exc_type: type, spec: Any) -> bool:
    """``issubclass(exc_type, spec)`` as the context managers call it (nested
    tuples allowed); anything that would raise TypeError counts as a match."""
    if isinstance(spec, tuple):
        return any(_subclass_matches(exc_type, item) for item in spec)
    if isinstance(spec, type):
        return spec in exc_type.__mro__
    return True


def _leaves(exc: BaseException) -> Iterator[BaseException]:
    """The non-group exceptions inside ``exc`` (``exc`` itself if not a group)."""
    if isinstance(exc, _GROUP_TYPES):
        for inner in getattr(exc, "exceptions", ()):
            yield from _leaves(inner)
    else:
        yield exc


class _Escaping:
    """The exception as it leaves one region for the enclosing one.

    Usually the original exception all the way out, but ``except*`` changes
    it: a naked exception that a clause re-raises leaves wrapped in a new
    group, and a group leaves with only its unhandled leaves (as does a group
    that ``suppress`` matches in part, on 3.12+).  ``cls`` is what a plain
    ``except`` sees; ``leaves`` what ``except*`` and ``suppress`` split.
    """

    __slots__ = ("cls", "grouped", "leaves")

    def __init__(self, exc: BaseException) -> None:
        self.cls: type = type(exc)
        self.grouped = isinstance(exc, _GROUP_TYPES)
        self.leaves: tuple[BaseException, ...] = tuple(_leaves(exc)) if self.grouped else (exc,)

    def narrow(self, remaining: list[BaseException]) -> None:
        """Only ``remaining`` leaves go on, in a group built by the interpreter
        (``derive``), whose class depends only on what the leaves are."""
        self.grouped = True
        self.leaves = tuple(remaining)
        if all(isinstance(leaf, Exception) for leaf in remaining):
            self.cls = _EXCEPTION_GROUP_TYPES[0]
        else:
            self.cls = _GROUP_TYPES[0]


def _try_catches(handlers: tuple[Handler, ...], exc_type: type, resolver: _Resolver) -> int:
    """The first matching clause decides: it catches unless it only re-raises.

    CAUGHT_ALL when that clause takes anything (bare, ``Exception``,
    ``BaseException``, or a type that cannot be evaluated), CAUGHT when it
    names the exception's own kind.
    """
    for expr, reraises in handlers:
        spec: Any = _MISSING
        if expr is not None:
            spec = resolver.value(expr)
            if spec is not _MISSING and not _except_matches(exc_type, spec):
                continue
        if reraises:
            return NOT_CAUGHT
        return CAUGHT_ALL if _catches_all(spec) else CAUGHT
    return NOT_CAUGHT


def _catches_all(spec: Any) -> bool:
    """A bare or unknown clause, or one naming Exception or BaseException."""
    if spec is _MISSING:
        return True
    items = spec if isinstance(spec, tuple) else (spec,)
    return any(item is Exception or item is BaseException for item in items)


def _try_star_catches(
    handlers: tuple[Handler, ...], escaping: _Escaping, resolver: _Resolver
) -> bool:
    """Each leaf goes to the first clause that matches it; caught if every
    leaf went to a clause that does not re-raise.  Otherwise the leaves left
    over go on (see _Escaping); untouched if no clause matched at all."""
    specs = [(resolver.value(expr), reraises) for expr, reraises in handlers if expr is not None]
    remaining: list[BaseException] = []
    matched = False
    for leaf in escaping.leaves:
        leaf_type = type(leaf)
        for spec, reraises in specs:
            if spec is _MISSING or _except_matches(leaf_type, spec):
                matched = True
                if reraises:
                    remaining.append(leaf)
                break
        else:
            remaining.append(leaf)
    if not remaining:
        return True
    if matched:
        escaping.narrow(remaining)
    return False


def _with_suppresses(items: tuple[WithItem, ...], escaping: _Escaping, resolver: _Resolver) -> bool:
    """Any recognised suppressing item whose types match suppresses.

    Items exit last first, so they are checked in that order.
    """
    for item in reversed(items):
        if item[0] == _CALL:
            if _call_suppresses(item, escaping, resolver):
                return True
        elif _object_suppresses(resolver.value(item[1]), escaping):
            return True
        if _generator_answer(item, escaping, resolver) is True:
            return True
    return False


def _generator_answer(item: WithItem, escaping: _Escaping, resolver: _Resolver) -> bool | None:
    """Whether a ``@contextmanager`` item's generator catches what is thrown in
    at its ``yield``: asked of its suspended frame (the ``try`` or ``with``
    around the ``yield``, with the generator's own values: ``with
    self.assertRaises(exc_type): yield``).  None: not such an item, or no
    exact answer (see _generator_frame; a group; a ``with`` in there that
    may suppress).  Never cached: it depends on that frame.
    """
    frame = _generator_frame(item, resolver)
    if frame is None or escaping.grouped:
        return None
    resolver.cacheable = False
    leaf = escaping.leaves[0]
    key = (id(frame.f_code), frame.f_lasti, type(leaf))
    caught = _decisions.get(key)
    if caught is None:
        caught = _decide(frame, leaf, key)
    return None if caught == MAY_SUPPRESS else caught in _TAKES


def _generator_frame(item: WithItem, resolver: _Resolver) -> FrameType | None:
    """The suspended frame of a ``@contextmanager`` item's generator, when its
    ``yield`` sits in a ``try`` or ``with`` (else None: it never catches
    there).  A call item's object is on the frame's stack only, so the frame
    is found among the generators running that code (one heap scan);
    exactly one suspended must be there."""
    if item[0] == _CALL:
        func = resolver.value(item[1])
        wrapped = getattr(func, "__wrapped__", None)
        if not _is_contextmanager(func) or not _generator_may_catch(wrapped):
            return None
        frame = _suspended_generator_frame(getattr(wrapped, "__code__", None))
    else:
        obj = resolver.value(item[1])
        kind = getattr(sys.modules.get("contextlib"), "_GeneratorContextManagerBase", None)
        if not isinstance(kind, type) or not isinstance(obj, kind):
            return None
        generator = getattr(obj, "gen", None)
        if not _generator_may_catch(None, getattr(generator, "gi_code", None)):
            return None
        frame = getattr(generator, "gi_frame", None)
    if frame is None or frame.f_back is not None:
        return None  # finished, or running (not at its yield)
    resolver.cacheable = False
    return frame


def _suspended_generator_frame(code: CodeType | None) -> FrameType | None:
    """The one suspended generator running ``code`` (see _generator_answer)."""
    if code is None:
        return None
    import gc

    found = [
        obj.gi_frame
        for obj in gc.get_referrers(code)
        if getattr(obj, "gi_code", None) is code
        and getattr(obj, "gi_frame", None) is not None
        and not obj.gi_running
        and obj.gi_frame.f_lasti >= 0
    ]
    return found[0] if len(found) == 1 else None


def _with_may_suppress(items: tuple[WithItem, ...], resolver: _Resolver) -> bool:
    """A context manager we cannot read may suppress: its ``__exit__`` is
    Python code that returns something other than None or False
    (``ExitStack``, a custom one), or it is a ``@contextmanager`` generator
    whose ``yield`` sits in a ``try`` with an ``except``."""
    for item in items:
        if _generator_frame(item, resolver) is not None:
            continue  # its generator was asked (_with_suppresses): no guess
        if item[0] == _CALL:
            func = resolver.value(item[1])
            if isinstance(func, type):
                if _exit_may_return_true(func):
                    return True
                continue
            wrapped = getattr(func, "__wrapped__", None)
            if _is_contextmanager(func) and wrapped is not None:
                if _generator_may_catch(wrapped):
                    return True
        else:
            obj = resolver.value(item[1])
            if obj is not _MISSING and _exit_may_return_true(type(obj)):
                return True
    return False


_exit_verdicts: dict[int, tuple[object, bool]] = {}


def _exit_may_return_true(cls: type) -> bool:
    exit_function = None
    for klass in cls.__mro__:
        if "__exit__" in klass.__dict__:
            exit_function = klass.__dict__["__exit__"]
            break
    code = getattr(exit_function, "__code__", None)
    if code is None:
        return False  # C __exit__ (locks, files) or none: they never suppress
    if getattr(sys.modules.get("contextlib"), "_GeneratorContextManager", None) in cls.__mro__:
        return False  # judged by its generator, in _with_may_suppress
    return _returns_true(exit_function, code)


def _is_contextmanager(func: object) -> bool:
    code = getattr(func, "__code__", None)
    return code is not None and code.co_name == "helper" and "contextlib" in code.co_filename


def _generator_may_catch(gen_function: object, code: CodeType | None = None) -> bool:
    """The generator may catch at its ``yield``: a try with handlers, or a
    ``with``, around it (``code``: its code, when no function is at hand)."""
    code = getattr(gen_function, "__code__", None) if code is None else code
    if code is None:
        return False
    found = _exit_verdicts.get(id(code))
    if found is not None and found[0] is code:
        return found[1]
    verdict = False
    try:
        import ast

        lines = _lines(code, getattr(gen_function, "__globals__", None))
        node = _find_definition(code, lines) if lines else None
        if node is not None:
            for sub in ast.walk(node):
                if (isinstance(sub, ast.Try) and sub.handlers) or isinstance(
                    sub, (ast.With, ast.AsyncWith)
                ):
                    body = ast.Module(sub.body, [])
                    if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in ast.walk(body)):
                        verdict = True
                        break
    except Exception:
        verdict = False
    _exit_verdicts[id(code)] = (code, verdict)
    return verdict


def _returns_true(function: object, code: CodeType) -> bool:
    """An ``__exit__`` with a ``return`` of anything but None or False."""
    found = _exit_verdicts.get(id(code))
    if found is not None and found[0] is code:
        return found[1]
    verdict = True  # without source: it may
    try:
        import ast

        lines = _lines(code, getattr(function, "__globals__", None))
        node = _find_definition(code, lines) if lines else None
        if node is not None:
            verdict = any(
                isinstance(sub, ast.Return)
                and sub.value is not None
                and not (isinstance(sub.value, ast.Constant) and sub.value.value in (None, False))
                for sub in ast.walk(node)
            )
    except Exception:
        verdict = True
    _exit_verdicts[id(code)] = (code, verdict)
    return verdict


def _call_suppresses(item: WithItem, escaping: _Escaping, resolver: _Resolver) -> bool:
    """``with suppress(...)``, ``with pytest.raises(...)``, ``with self.assertRaises(...)``."""
    _, func_expr, args, keywords, has_star = item
    func = resolver.value(func_expr)
    if func is _MISSING:
        return False  # an unknown context manager: assumed not to suppress
    contextlib = sys.modules.get("contextlib")
    if contextlib is not None and func is getattr(contextlib, "suppress", None):
        if has_star:
            return True
        specs = tuple(resolver.value(arg) for arg in args)
        return _MISSING in specs or _suppress_matches(escaping, specs)
    if _is_pytest_raises(func) or _is_unittest_assert_raises(func):
        if has_star:
            return True
        if args:
            spec_expr = args[0]
        else:
            spec_expr = next((e for name, e in keywords if name == "expected_exception"), None)
            if spec_expr is None:
                return True  # pytest.raises(match=...) / missing argument
        spec = resolver.value(spec_expr)
        return spec is _MISSING or _subclass_matches(escaping.cls, spec)
    return False


def _is_pytest_raises(func: object) -> bool:
    pytest = sys.modules.get("pytest")
    return pytest is not None and func is getattr(pytest, "raises", None)


def _is_unittest_assert_raises(func: object) -> bool:
    """A bound ``assertRaises``/``assertRaisesRegex`` of a TestCase instance."""
    unittest = sys.modules.get("unittest")
    if unittest is None:
        return False
    owner = getattr(func, "__self__", None)
    test_case = getattr(unittest, "TestCase", None)
    if owner is None or not isinstance(test_case, type) or not isinstance(owner, test_case):
        return False
    name = getattr(getattr(func, "__func__", None), "__name__", None)
    return name in ("assertRaises", "assertRaisesRegex")


def _object_suppresses(obj: object, escaping: _Escaping) -> bool:
    """``with cm:`` where ``cm`` is a suppress object, unittest's assert-raises
    context or pytest's ``raises`` object."""
    if obj is _MISSING:
        return False
    contextlib = sys.modules.get("contextlib")
    suppress = getattr(contextlib, "suppress", None)
    if isinstance(suppress, type) and isinstance(obj, suppress):
        return _suppress_matches(escaping, getattr(obj, "_exceptions", _MISSING))
    case = sys.modules.get("unittest.case")
    context = getattr(case, "_AssertRaisesContext", None)
    if isinstance(context, type) and isinstance(obj, context):
        spec = getattr(obj, "expected", _MISSING)
        return spec is _MISSING or _subclass_matches(escaping.cls, spec)
    kind = type(obj)
    if kind.__module__.startswith("_pytest.") and kind.__name__ in _PYTEST_RAISES:
        # ``check = pytest.raises(E)`` then ``with check:`` (RaisesContext
        # before pytest 8.4, RaisesExc since; a RaisesGroup takes groups).
        spec = getattr(obj, "expected_exceptions", getattr(obj, "expected_exception", _MISSING))
        return (
            spec is _MISSING
            or kind.__name__ == "RaisesGroup"
            or _subclass_matches(escaping.cls, spec)
        )
    return False


_PYTEST_RAISES = ("RaisesContext", "RaisesExc", "RaisesGroup")


def _suppress_matches(escaping: _Escaping, specs: Any) -> bool:
    """contextlib.suppress: a type match, or on 3.12+ a group split by type;
    a group matched in part goes on with the leaves that did not match."""
    if specs is _MISSING or _subclass_matches(escaping.cls, specs):
        return True
    if not (_SUPPRESS_SPLITS_GROUPS and escaping.grouped):
        return False
    if not all(_is_exception_class(spec) for spec in specs):
        return True  # split() raises TypeError, which replaces the exception
    remaining = [leaf for leaf in escaping.leaves if not _subclass_matches(type(leaf), specs)]
    if not remaining:
        return True
    if len(remaining) < len(escaping.leaves):
        escaping.narrow(remaining)
    return False


# ---------------------------------------------------------------------------
# Building regions from source (once per code object)


def _build_regions(code: CodeType, module_globals: dict[str, Any]) -> tuple[Region, ...]:
    """The try/with regions of ``code``'s own body; empty without source.

    Never raises: a failure to read or parse means "no regions", which makes
    the frame a non-catcher, the safe direction (the debugger may open).
    """
    name = code.co_name
    if name.startswith("<") and name != "<module>":
        return ()  # lambda, comprehension, genexpr, annotation scope: expressions only
    if name in _PASSING_NAMES and _passes_on(code):
        return ()
    if code.co_filename.startswith(_FROZEN_IMPORTLIB):
        # importlib's catch-alls only clean up and re-raise, and what an
        # import raises is the importer's to handle (its calls are still
        # read, by boundaries: ``hasattr`` in ``_handle_fromlist``).
        return ()
    try:
        lines = _lines(code, module_globals)
        if not lines:
            return ()
        if name == "<module>":
            body = _parse_whole_file(code.co_filename, lines).body
        else:
            node = _find_definition(code, lines)
            if node is None:
                return ()
            body = node.body
        return _collect_regions(body, _name_scope(code))
    except Exception:
        return ()


#: Library functions whose catch-all only passes the exception on, by
#: (module, class, method):
#: - ``@contextmanager``'s exits take what the generator raised only to
#:   re-raise it, or to return False (the ``with`` statement re-raises it);
#: - ``Enum.__new__`` keeps what ``_missing_`` raised and raises it again.
_PASSING = (
    ("contextlib", "_GeneratorContextManager", "__exit__"),
    ("contextlib", "_AsyncGeneratorContextManager", "__aexit__"),
    ("enum", "Enum", "__new__"),
)
_PASSING_NAMES = frozenset(method for _, _, method in _PASSING)


def _passes_on(code: CodeType) -> bool:
    """``code`` is one of ``_PASSING``: its regions do not count."""
    for module, cls, method in _PASSING:
        function = getattr(getattr(sys.modules.get(module), cls, None), method, None)
        if getattr(function, "__code__", None) is code:
            return True
    return False


def _lines(code: CodeType, module_globals: dict[str, Any] | None) -> list[str]:
    """The text ``code`` was compiled from, as hot_restart kept it (its file may
    have been edited since: a frame suspended across a reload still runs the
    old text's code), else the file as ``linecache`` has it.

    A frozen standard-library module (``importlib._bootstrap``; 3.11+ also
    ``_collections_abc``, ``os``, ``codecs``, ...) was frozen from its file
    in the standard library: ``Mapping.get`` catching the ``KeyError`` of
    your ``__getitem__``, or ``hasattr`` in importlib's ``from`` handling,
    is read there.
    """
    import linecache

    from .locate import lines_of

    found = lines_of(code)
    if found:
        return found
    filename = code.co_filename
    if filename.startswith("<frozen ") and filename.endswith(">"):
        filename = _frozen_file(filename[8:-1], module_globals) or filename
    return linecache.getlines(filename, module_globals)


_FROZEN_IMPORTLIB = ("<frozen importlib", "<frozen zipimport")


def _frozen_file(name: str, module_globals: dict[str, Any] | None) -> str | None:
    """The standard library's file that module ``name`` was frozen from."""
    import os

    found = (module_globals or {}).get("__file__")
    if isinstance(found, str):
        return found
    stdlib = getattr(sys, "_stdlib_dir", None) or os.path.dirname(os.__file__)
    base = os.path.join(stdlib, *name.split("."))
    for path in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(path):
            return path
    return None


def _name_scope(code: CodeType) -> dict[str, int] | None:
    """For function code, which names are locals; ``None`` for namespace scopes."""
    if not code.co_flags & _CO_OPTIMIZED:
        return None
    return dict.fromkeys(code.co_varnames + code.co_cellvars + code.co_freevars, _FAST)


def _find_definition(
    code: CodeType, lines: list[str]
) -> ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None:
    """The def (or class, for a class body) that compiled to ``code``.

    Parses only its block when possible; falls back to the whole file when
    the indentation scan gets the block wrong (the block then fails to parse).
    """
    import ast

    first = code.co_firstlineno
    want: tuple[type[ast.AST], ...] = (
        (ast.FunctionDef, ast.AsyncFunctionDef)
        if code.co_flags & _CO_OPTIMIZED
        else (ast.ClassDef,)
    )

    def fits(node: ast.AST) -> bool:
        return (
            isinstance(node, want)
            and getattr(node, "name", None) == code.co_name
            and _first_line(node) == first
        )

    from .locate import parse_block  # one block finder for the whole runtime

    block = parse_block(lines, first)
    if block is not None and fits(block):
        return block  # type: ignore[return-value]
    tree = _parse_whole_file(code.co_filename, lines)
    for node in ast.walk(tree):
        if fits(node):
            return node  # type: ignore[return-value]
    return None


def _first_line(node: ast.AST) -> int:
    """A def's or class's first line, decorators included (like co_firstlineno)."""
    line: int = getattr(node, "lineno", 0)
    for decorator in getattr(node, "decorator_list", ()):
        line = min(line, decorator.lineno)
    return line


def _parse_whole_file(filename: str, lines: list[str]) -> ast.Module:
    """Parse a whole file, keeping the last few trees (one per ``lines`` list)."""
    import ast

    kept = _whole_files.get(filename)
    if kept is not None and kept[0] is lines:
        return kept[1]
    tree = ast.parse("".join(lines))
    if len(_whole_files) >= _WHOLE_FILES_KEPT:
        _whole_files.pop(next(iter(_whole_files)))
    _whole_files[filename] = (lines, tree)
    return tree


def _collect_regions(
    body: list[ast.stmt], local_names: dict[str, int] | None
) -> tuple[Region, ...]:
    """Try/with regions of one scope's statements, not entering nested scopes
    (their bodies are other code objects; decorators and defaults are
    expressions, which cannot contain try or with)."""
    import ast

    try_types: tuple[type[ast.stmt], ...] = tuple(
        getattr(ast, name) for name in ("Try", "TryStar") if hasattr(ast, name)
    )
    scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    regions: list[Region] = []
    stack: list[tuple[ast.AST, int]] = [(stmt, 0) for stmt in reversed(body)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, scopes):
            continue
        if isinstance(node, try_types):
            handlers: list[ast.ExceptHandler] = node.handlers  # type: ignore[attr-defined]
            try_body: list[ast.stmt] = node.body  # type: ignore[attr-defined]
            if handlers and try_body:
                kind = _TRY if isinstance(node, ast.Try) else _TRY_STAR
                compiled = tuple(_compile_handler(h, local_names) for h in handlers)
                start = _first_line(try_body[0])  # a decorated def: its decorators' line
                regions.append((start, _end_line(try_body[-1]), depth, kind, compiled))
        elif isinstance(node, (ast.With, ast.AsyncWith)) and node.body:
            with_items = [_compile_with_item(i.context_expr, local_names) for i in node.items]
            items = tuple(item for item in with_items if item is not None)
            if items:
                start = _first_line(node.body[0])
                regions.append((start, _end_line(node.body[-1]), depth, _WITH, items))
            regions.extend(_later_items(node, with_items, depth))
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, field, None)
            if isinstance(children, list):
                stack.extend((child, depth + 1) for child in reversed(children))
    return tuple(regions)


#: Where a ``with`` calls its items' ``__exit__``: the ``with`` line before
#: 3.13, each item's own line since.
_EXITS_AT_WITH_LINE = sys.version_info < (3, 13)


def _later_items(node: Any, compiled: list[WithItem | None], depth: int) -> list[Region]:
    """``with A(), B():`` -- what B's ``__exit__`` (or ``__enter__``) raises
    passes A's exit, which may suppress it (``with pytest.raises(E), cm():``).
    Such an exception leaves the frame at the ``with`` line on 3.10-3.12,
    and at B's own line since 3.13: a region there holds the items before."""
    regions: list[Region] = []
    if len(compiled) < 2:
        return regions
    if _EXITS_AT_WITH_LINE:
        before = tuple(item for item in compiled[:-1] if item is not None)
        if before:
            regions.append((node.lineno, node.lineno, depth, _WITH, before))
        return regions
    for index in range(1, len(compiled)):
        before = tuple(item for item in compiled[:index] if item is not None)
        expr = node.items[index].context_expr
        if before:
            regions.append((expr.lineno, _end_line(expr), depth, _WITH, before))
    return regions


def _end_line(node: ast.stmt) -> int:
    end = node.end_lineno
    return node.lineno if end is None else end


def _compile_handler(handler: ast.ExceptHandler, local_names: dict[str, int] | None) -> Handler:
    """(type expression or None, whether the clause only re-raises)."""
    import ast

    expr = None if handler.type is None else _compile_expr(handler.type, local_names)
    body = handler.body
    reraises = False
    if len(body) == 1 and isinstance(body[0], ast.Raise) and body[0].cause is None:
        raised = body[0].exc
        reraises = raised is None or (
            isinstance(raised, ast.Name) and handler.name is not None and raised.id == handler.name
        )
    return (expr, reraises)


def _compile_expr(node: ast.expr, local_names: dict[str, int] | None) -> Expr:
    """Names, attribute chains on a name, and tuples of those; else opaque."""
    import ast

    if isinstance(node, ast.Name):
        if local_names is None:
            return (_NAME, node.id, _NAMESPACE)
        return (_NAME, node.id, local_names.get(node.id, _GLOBAL))
    if isinstance(node, ast.Attribute):
        attrs: list[str] = []
        base: ast.expr = node
        while isinstance(base, ast.Attribute):
            attrs.append(base.attr)
            base = base.value
        if isinstance(base, ast.Name):
            return (_ATTR, _compile_expr(base, local_names), tuple(reversed(attrs)))
        return (_OPAQUE,)
    if isinstance(node, ast.Tuple):
        return (_TUPLE, tuple(_compile_expr(item, local_names) for item in node.elts))
    return (_OPAQUE,)


def _compile_with_item(node: ast.expr, local_names: dict[str, int] | None) -> WithItem | None:
    """A with-item that might be a known suppressor, or None if it cannot be."""
    import ast

    if isinstance(node, ast.Call):
        func = _compile_expr(node.func, local_names)
        if func[0] == _OPAQUE:
            return None
        has_star = any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        )
        args = tuple(_compile_expr(a, local_names) for a in node.args)
        keywords = tuple(
            (k.arg, _compile_expr(k.value, local_names)) for k in node.keywords if k.arg is not None
        )
        return (_CALL, func, args, keywords, has_star)
    if isinstance(node, (ast.Name, ast.Attribute)):
        expr = _compile_expr(node, local_names)
        return None if expr[0] == _OPAQUE else (_OBJ, expr)
    return None
