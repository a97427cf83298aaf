"""Bytecode cache for instrumented modules, beside (never over) the normal .pyc.

Instrumenting means parsing and compiling the module ourselves, which costs
more than loading a .pyc; caching keeps warm imports as fast as plain ones.
The file gets its own tag (``mod.cpython-311.hot_restart-v1.pyc``) so that
the interpreter's own .pyc, used whenever the hook is off, is never touched,
and a new transform version never loads code built by an old one.

It starts as a checked hash-based pyc (PEP 552): an edit is picked up even
when it keeps the file's size and modification time.  Any unreadable,
truncated or foreign file is a miss, and any failure to write is ignored:
the cache can only make imports faster, never break them.

Reading and hashing the source costs a warm import a tenth of its time, so
the header goes on with the source's stat stamp (modification and change
times in ns, size, inode), taken before the source was read.  A warm import
whose source still has that very stamp loads the code without reading the
source.  The change time cannot be set back (``os.utime`` sets it to now),
so an edit that restores size and modification time still changes the
stamp; and as git does for its index, a stamp whose change time is within
``_RACY_NS`` of the cache file's own modification time is never trusted (a
coarse clock could give an edit made just after the write the same time):
such a file is checked by hash, and re-stamped once that window has passed.
Windows has no change time (``st_ctime`` is the creation time): there, every
read checks the hash.

The cyclic garbage collector is paused while the code is unmarshalled: it
is tens of thousands of new objects, none in a cycle, and the
collections their allocation triggers (a full one among them, in a young
process) would scan them again and again: up to a fifth of a warm import.

The warm path imports nothing that ``python -c pass`` has not already
loaded but the built-in ``gc`` (a few microseconds): ``importlib.util`` would bring ``contextlib``, ``collections`` and
``functools`` (several milliseconds, every start).  Its few helpers are taken
where it takes them, from the frozen ``_bootstrap_external`` and ``_imp``,
as ``importlib._bootstrap_external`` itself checks a hash-based pyc.
"""

from __future__ import annotations

import marshal
import os
import sys
from _frozen_importlib_external import MAGIC_NUMBER, cache_from_source
from _imp import source_hash as _source_hash
from _thread import get_ident
from gc import disable, enable, isenabled
from time import time_ns

from .constants import TRANSFORM_VERSION

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import CodeType

TAG = f"hot_restart-v{TRANSFORM_VERSION}"
_FLAGS = (0b11).to_bytes(4, "little")  # hash-based, check the source
_HEADER_SIZE = 16  # magic, flags, source hash: the PEP 552 header
_STAMP_SIZE = 32  # mtime_ns, ctime_ns, size, inode of the source
_PAYLOAD_AT = _HEADER_SIZE + _STAMP_SIZE
_NO_STAMP = bytes(_STAMP_SIZE)
_RACY_NS = 2_000_000_000  # FAT keeps times to 2 s
_MASK = (1 << 64) - 1
# The key importlib.util.source_hash passes (_RAW_MAGIC_NUMBER; 3.14 names it
# _imp.pyc_magic_number_token): the same integer on every version.
_HASH_KEY = int.from_bytes(MAGIC_NUMBER, "little")
_CODE_TYPE = type((lambda: None).__code__)  # types.CodeType, without types


def source_hash(source: bytes) -> bytes:
    """``importlib.util.source_hash``, without importing ``importlib.util``."""
    return _source_hash(_HASH_KEY, source)


def cache_path(source_path: str) -> str | None:
    """Where the instrumented code of ``source_path`` is cached; None if nowhere.

    Built on ``cache_from_source`` so that ``sys.pycache_prefix`` and the
    optimization level (``.opt-1``: asserts are compiled out) are honoured.
    """
    try:
        normal = cache_from_source(source_path)
    except NotImplementedError:  # sys.implementation.cache_tag is None
        return None
    stem = normal[: -len(".pyc")]
    head, dot, last = stem.rpartition(".")
    if dot and last.startswith("opt-"):
        return f"{head}.{TAG}.{last}.pyc"
    return f"{stem}.{TAG}.pyc"


def source_stamp(source_path: str) -> bytes | None:
    """The stat stamp of the source as it is now; None where it cannot be trusted.

    Take it before reading the source: an edit made after the stamp then
    changes the file's stamp, and the cache is checked by hash.
    """
    if os.name == "nt":
        return None
    try:
        st = os.stat(source_path)
    except OSError:
        return None
    fields = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
    return b"".join((field & _MASK).to_bytes(8, "little") for field in fields)


def read(
    path: str, source: bytes | None, filename: str, stamp: bytes | None = None
) -> CodeType | None:
    """The cached code for exactly this ``source``, or None to rebuild.

    With ``source`` None, the code is returned only if the cache holds
    ``stamp`` (see ``source_stamp``) and may trust it: the source is then
    known unchanged without being read.  With ``source``, the hash decides,
    and a file whose stamp differs from ``stamp`` is re-stamped when it may be.
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
            written_ns = os.fstat(f.fileno()).st_mtime_ns
    except OSError:
        return None
    if len(data) < _PAYLOAD_AT or data[:4] != MAGIC_NUMBER or data[4:8] != _FLAGS:
        return None
    if source is None:
        if stamp is None or data[_HEADER_SIZE:_PAYLOAD_AT] != stamp or _racy(stamp, written_ns):
            return None
    elif data[8:16] != source_hash(source):
        return None
    paused = isenabled()
    disable()  # see the module docstring: collections here would only scan new constants
    try:
        code = marshal.loads(memoryview(data)[_PAYLOAD_AT:])
    except Exception:  # EOFError, ValueError, TypeError: whatever corruption gives
        return None
    finally:
        if paused:
            enable()
    # A moved tree would otherwise report the old path in tracebacks.
    if not isinstance(code, _CODE_TYPE) or code.co_filename != filename:
        return None
    if source is not None and stamp is not None and not _racy(stamp, time_ns()):
        stored = data[_HEADER_SIZE:_PAYLOAD_AT]
        if stored != stamp or _racy(stored, written_ns):
            # Touched, checked out again, or written just after an edit: from
            # now on, warm imports need not read the source.
            _store(path, b"".join((data[:_HEADER_SIZE], stamp, data[_PAYLOAD_AT:])), filename)
    return code


def _racy(stamp: bytes, written_ns: int) -> bool:
    """Whether the source may have changed at the stamp's change time, unseen by it."""
    changed_ns = int.from_bytes(stamp[8:16], "little")
    return stamp == _NO_STAMP or written_ns - changed_ns < _RACY_NS


def write(
    path: str,
    source: bytes,
    code: CodeType,
    source_path: str | None = None,
    stamp: bytes | None = None,
) -> None:
    """Store ``code`` atomically, so a concurrent reader sees all of it or nothing.

    As CPython's ``SourceFileLoader`` does: the file gets the source's
    permission bits (a ``0600`` source holding a secret must not become a
    world-readable cache), and the temporary file is created exclusively, so
    a symlink planted at its name is never followed.
    ``stamp``: the source's ``source_stamp``, taken before ``source`` was read.
    """
    data = (MAGIC_NUMBER, _FLAGS, source_hash(source), stamp or _NO_STAMP, marshal.dumps(code))
    _store(path, b"".join(data), source_path)


def _store(path: str, data: bytes, source_path: str | None) -> None:
    if sys.dont_write_bytecode:
        return
    tmp = f"{path}.{os.getpid()}.{get_ident()}.tmp"
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(_create(tmp, _mode_of(source_path)), "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def _mode_of(source_path: str | None) -> int:
    """Permission bits for the cache file: the source's, plus owner-write (as CPython)."""
    try:
        mode = os.stat(source_path).st_mode if source_path is not None else 0o666
    except OSError:
        mode = 0o666
    return (mode | 0o200) & 0o666


def _create(tmp: str, mode: int) -> int:
    """A new file at ``tmp``; whatever already sits there is removed, never opened.

    A crashed run may have left this very name behind (pids repeat, e.g. in
    containers): unlinking removes that file, or a planted symlink itself,
    and the retry again refuses anything that reappeared in between.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        return os.open(tmp, flags, mode)
    except FileExistsError:
        os.unlink(tmp)
        return os.open(tmp, flags, mode)
