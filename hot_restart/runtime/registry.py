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
    successors: weakref.WeakKeyDictionary[FunctionType, FunctionType]


def __getattr__(name: str) -> object:
    """Creates ``superseded`` and ``successors`` at their first use (PEP 562),
    importing ``weakref`` only then."""
    import weakref

    if name == "superseded":
        return globals().setdefault(name, weakref.WeakValueDictionary())
    if name == "successors":
        return globals().setdefault(name, weakref.WeakKeyDictionary())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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

# The bytes each file held when its code was loaded: what "changed since it
# was loaded" is measured against, even after the file changed on disk (a
# fork worker inherits it from a parent that never crashed).  Kept as read,
# decoded only at a reload: one bytes object per module, about the size of
# the file; reading it again beside the import costs a few microseconds.
# With the (mtime_ns, size) it was read at: an unchanged stat means an
# unchanged file, without reading it.
sources: dict[str, tuple[int, int, bytes]] = {}

# Per file, the source text of definitions reloaded alone since ``sources``
# was taken (the crashed function with RELOAD_ALL_ON_CONTINUE off, frames
# below a restarted one, the pytest plugin's test), by def key (enclosing
# class names and the def's name, then its rank among same-named siblings):
# the text the running code was compiled from.
running: dict[str, dict[tuple[str, ...], str]] = {}


def stamp(filename: str) -> None:
    """Remember the file as it is now: it is what the running code came from."""
    import os

    try:
        st = os.stat(filename)
        with open(filename, "rb") as f:
            data = f.read()
    except OSError:
        return
    stamps[filename] = (st.st_mtime_ns, st.st_size)
    sources[filename] = (st.st_mtime_ns, st.st_size, data)
    running.pop(filename, None)


# ``successors`` (made at first use, see __getattr__): function -> its
# definition in a later reload_module() run of its module: ``c`` on a frame
# of the old one re-runs that definition (decorators, closure values and
# all), as 0.2.x's wrapper did.


def successor(fn: FunctionType) -> FunctionType:
    """The newest definition of ``fn`` made by reload_module(), or ``fn``."""
    later = globals().get("successors")  # (a global lookup here skips __getattr__)
    if later is None:
        return fn
    seen = {id(fn)}
    while (newer := later.get(fn)) is not None and id(newer) not in seen:
        seen.add(id(newer))
        fn = newer
    return fn


def note_wrapped(fn: FunctionType) -> None:
    import weakref

    wrapped.setdefault(fn.__code__.co_filename, weakref.WeakSet()).add(fn)
