"""What hot_restart knows about the live program: versions and wrapped defs.

Code objects are swapped in place, so a frame that is still running an old
version no longer finds its function through ``gc``: ``superseded`` keeps
the link from every replaced code object to the function now running it.

The import hook loads this module at the first instrumented import, so it
imports nothing there: ``weakref`` (and ``types``) come with the first use
of ``superseded`` or the classic API, after a reload or a ``wrap``.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import weakref
    from types import CodeType, FunctionType

    superseded: weakref.WeakValueDictionary[CodeType, FunctionType]


def __getattr__(name: str) -> object:
    """Creates ``superseded`` at its first use (PEP 562), importing ``weakref`` only then."""
    if name != "superseded":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import weakref

    value = globals().setdefault(name, weakref.WeakValueDictionary())
    return value


# Functions wrapped with the classic API, by source file (for RELOAD_ALL).
wrapped: dict[str, weakref.WeakSet[FunctionType]] = {}

# Instrumented code -> the plain code wrap() replaced with it.  An enclosing
# function keeps making closures from the plain one, so a reload of such a
# closure replaces that one in the enclosing code too.
_origins: dict[int, tuple[CodeType, CodeType]] = {}


def note_origin(instrumented: CodeType, original: CodeType) -> None:
    _origins[id(instrumented)] = (instrumented, original)


def origins_of(code: CodeType) -> list[CodeType]:
    found = _origins.get(id(code))
    return [found[1]] if found is not None and found[0] is code else []


# Module names instrumented wholesale (import hook, wrap_module).
modules: set[str] = set()

# (mtime_ns, size) of each source file when its functions were last loaded.
stamps: dict[str, tuple[int, int]] = {}


def stamp(filename: str) -> None:
    """Remember the file as it is now: it is what the running code came from."""
    import os

    try:
        st = os.stat(filename)
    except OSError:
        return
    stamps[filename] = (st.st_mtime_ns, st.st_size)


def note_wrapped(fn: FunctionType) -> None:
    import weakref

    wrapped.setdefault(fn.__code__.co_filename, weakref.WeakSet()).add(fn)
