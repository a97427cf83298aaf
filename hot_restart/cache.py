"""Bytecode cache for instrumented modules, beside (never over) the normal .pyc.

Instrumenting means parsing and compiling the module ourselves, which costs
more than loading a .pyc; caching keeps warm imports as fast as plain ones.
The file gets its own tag (``mod.cpython-311.hot_restart-v1.pyc``) so that
the interpreter's own .pyc, used whenever the hook is off, is never touched,
and a new transform version never loads code built by an old one.

It is a checked hash-based pyc (PEP 552): an edit is picked up even when it
keeps the file's size and modification second.  Any unreadable, truncated or
foreign file is a miss, and any failure to write is ignored: the cache can
only make imports faster, never break them.

The warm path imports nothing that ``python -c pass`` has not already
loaded: ``importlib.util`` would bring ``contextlib``, ``collections`` and
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

from .constants import TRANSFORM_VERSION

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import CodeType

TAG = f"hot_restart-v{TRANSFORM_VERSION}"
_FLAGS = (0b11).to_bytes(4, "little")  # hash-based, check the source
_HEADER_SIZE = 16
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


def read(path: str, source: bytes, filename: str) -> CodeType | None:
    """The cached code for exactly this ``source``, or None to rebuild."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if (
        len(data) < _HEADER_SIZE
        or data[:4] != MAGIC_NUMBER
        or data[4:8] != _FLAGS
        or data[8:16] != source_hash(source)
    ):
        return None
    try:
        code = marshal.loads(memoryview(data)[_HEADER_SIZE:])
    except Exception:  # EOFError, ValueError, TypeError: whatever corruption gives
        return None
    # A moved tree would otherwise report the old path in tracebacks.
    if not isinstance(code, _CODE_TYPE) or code.co_filename != filename:
        return None
    return code


def write(path: str, source: bytes, code: CodeType, source_path: str | None = None) -> None:
    """Store ``code`` atomically, so a concurrent reader sees all of it or nothing.

    As CPython's ``SourceFileLoader`` does: the file gets the source's
    permission bits (a ``0600`` source holding a secret must not become a
    world-readable cache), and the temporary file is created exclusively, so
    a symlink planted at its name is never followed.
    """
    if sys.dont_write_bytecode:
        return
    data = b"".join((MAGIC_NUMBER, _FLAGS, source_hash(source), marshal.dumps(code)))
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
