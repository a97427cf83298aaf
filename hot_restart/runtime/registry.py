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
    import os
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

# What stands for a file's content without reading it: the stat stamp
# (modification and change times in ns, size, inode), as the bytecode cache
# keeps it.  The change time cannot be set back (``os.utime`` sets it to
# now), so an edit that keeps the size and restores the modification time
# (``cp -p``, ``rsync -t``, ``touch -r``) still changes the stamp; a save
# by renaming a new file over the old changes the inode.
Stamp = tuple[int, int, int, int]

# A stamp no stat gives: the file was read within _RACY_NS of its last
# change, so an edit made just after the read could share the times (file
# system clocks tick in milliseconds, FAT's in 2 s) and the size: such a
# file is compared by content at the next look, and stamped again then.
# As git does with its index, and cache.py with the bytecode cache.
RACY: Stamp = (-1, -1, -1, -1)
_RACY_NS = 2_000_000_000


def stat_fields(st: os.stat_result) -> Stamp:
    """What of a stat stands for the content (also where no stamp is kept)."""
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


def stamp_of(st: os.stat_result, read_ns: int) -> Stamp:
    """The stamp of a file whose ``st`` was taken before reading it, and read by ``read_ns``.

    ``read_ns``: ``time.time_ns()`` once the read is over.
    """
    if read_ns - max(st.st_mtime_ns, st.st_ctime_ns) < _RACY_NS:
        return RACY
    return stat_fields(st)


def unchanged(stamp: Stamp, st: os.stat_result) -> bool:
    """Whether the file, as ``st`` shows it now, is known to hold what it held at ``stamp``."""
    return stamp != RACY and stamp == stat_fields(st)


# The stamp of each source file when its functions were last loaded.
stamps: dict[str, Stamp] = {}

# The bytes each file held when its code was loaded: what "changed since it
# was loaded" is measured against, even after the file changed on disk (a
# fork worker inherits it from a parent that never crashed).  Kept as read,
# decoded only at a reload: one bytes object per module, about the size of
# the file; reading it again beside the import costs a few microseconds.
# With the stamp it was read at: an unchanged stat means an unchanged file,
# without reading it.
sources: dict[str, tuple[Stamp, bytes]] = {}

# Per file, the source text of definitions reloaded alone since ``sources``
# was taken (the crashed function with RELOAD_ALL_ON_CONTINUE off, frames
# below a restarted one, the pytest plugin's test), by def key (enclosing
# class names and the def's name, then its rank among same-named siblings):
# the text the running code was compiled from.
running: dict[str, dict[tuple[str, ...], str]] = {}


def stamp(filename: str) -> None:
    """Remember the file as it is now: it is what the running code came from."""
    import os
    from time import time_ns

    try:
        st = os.stat(filename)
        with open(filename, "rb") as f:
            data = f.read()
    except OSError:
        return
    stamps[filename] = stamped = stamp_of(st, time_ns())
    sources[filename] = (stamped, data)
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
