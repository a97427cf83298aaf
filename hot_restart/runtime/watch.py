"""Watch-to-continue: saving the crashed function's file continues by itself.

A light stdlib poller, not a file-watching library: one file is watched,
only while the debugger waits at a crash, so a ``select`` on the terminal
with a 0.2 s timeout and an ``os.stat`` between waits costs nothing
measurable, needs no dependency and no thread, and works the same on every
platform with ``select`` on a terminal (not on Windows consoles).  It works
for pdb, whose prompt can read from a stream we give it; ipdb reads through
prompt_toolkit, which cannot be interrupted this way, so there ``c`` is
still typed by hand.
"""

from __future__ import annotations

import os
import select
import sys
from typing import Any, TextIO

_POLL = 0.2  # seconds between looks at the file while the terminal is quiet


def _stat(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


class WatchingStdin:
    """The terminal, except that a save of ``path`` reads as the line ``c``."""

    def __init__(self, stream: TextIO, path: str) -> None:
        self.stream = stream
        self.path = path
        self.seen = _stat(path)

    def readline(self) -> str:
        fd = self.stream.fileno()
        while True:
            ready, _, _ = select.select([fd], [], [], _POLL)
            if ready:
                return self.stream.readline()
            now = _stat(self.path)
            if now is not None and now != self.seen:
                self.seen = now
                print(f"c\nhot_restart: {self.path} was saved: continuing", flush=True)
                return "c\n"

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def stdin_for(path: str) -> WatchingStdin | None:
    """A watching stdin for the debugger, when watching makes sense here."""
    stream = sys.stdin
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None
    if not os.path.isfile(path):
        return None
    return WatchingStdin(stream, path)
