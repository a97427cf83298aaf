"""When `c` may trust a file's stat instead of reading it (registry.Stamp).

A reload looks at every instrumented file; one whose stat still matches its
stamp is taken as unchanged, unread.  Two edits could keep that stat while
changing the text, and `c` would then silently run the old code: an edit
that keeps the size and restores the modification time (``cp -p``,
``rsync -t``, ``touch -r``), and, on file systems whose clock ticks in
milliseconds or seconds, an edit made within one tick of when the file was
read.  Both fail on the main before the change-time stamp and the racy rule.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import child
import pytest

from hot_restart.runtime import registry

# Imports stampmod through the hook, rewrites it with the same size and puts
# its modification time back, then reloads as `c` does and calls f again.
# argv[1]: "trusted" makes every stamp trusted at once (the racy window 0):
# the file then looks unchanged by size and modification time alone.
PROGRAM = """\
import os, sys
sys.path.insert(0, sys.argv[2])
import hot_restart
from hot_restart.runtime import registry, reload

if sys.argv[1] == "trusted":
    registry._RACY_NS = 0
hot_restart.install(patterns=["stampmod"])
import stampmod

path = stampmod.__file__
before = os.stat(path)
print("stamp", "racy" if registry.sources[path][0] == registry.RACY else "trusted")
print("before", stampmod.f())
with open(path, "w") as f:
    f.write("def f():\\n    return 2\\n")
os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
after = os.stat(path)
print("same size and mtime", (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns))
print("reloaded", reload.reload_changed().qualnames)
print("after", stampmod.f())
"""


def _run(tmp_path: Path, mode: str) -> list[str]:
    (tmp_path / "stampmod.py").write_text("def f():\n    return 1\n")
    return child.run(PROGRAM, mode, tmp_path)


@pytest.mark.parametrize("mode", ["trusted", "racy"])
def test_an_edit_that_keeps_size_and_modification_time_is_reloaded(
    tmp_path: Path, mode: str
) -> None:
    # "trusted": the change time, which os.utime cannot set back, tells the
    # edit.  "racy": the module was read right after it was written, so its
    # stamp is not trusted at all and the reload compares the text.
    assert _run(tmp_path, mode) == [
        f"stamp {mode}",
        "before 1",
        "same size and mtime True",
        "reloaded ['f']",
        "after 2",
    ]


def _stat(mtime_ns: int, ctime_ns: int) -> Any:
    return SimpleNamespace(st_mtime_ns=mtime_ns, st_ctime_ns=ctime_ns, st_size=10, st_ino=7)


SECOND = 1_000_000_000


@pytest.mark.parametrize(
    ("mtime", "ctime", "read", "trusted"),
    [
        (0, 0, 2 * SECOND, True),  # read 2 s after its last change
        (0, 0, 2 * SECOND - 1, False),  # an edit just after the read could share its times
        (0, 3 * SECOND, 4 * SECOND, False),  # changed (chmod, utime) just before the read
        (5 * SECOND, 0, 4 * SECOND, False),  # modified "after" the read: another clock, utime
    ],
)
def test_a_stamp_is_trusted_only_two_seconds_after_the_files_last_change(
    mtime: int, ctime: int, read: int, trusted: bool
) -> None:
    base = 1_700_000_000 * SECOND
    stamp = registry.stamp_of(_stat(base + mtime, base + ctime), base + read)
    assert (stamp != registry.RACY) is trusted
    if trusted:
        assert stamp == (base + mtime, base + ctime, 10, 7)


def test_a_racy_stamp_never_stands_for_the_file(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("x = 1\n")
    st = os.stat(path)
    exact = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
    assert registry.unchanged(exact, st)
    assert not registry.unchanged(registry.RACY, st)
    other = tmp_path / "other.py"  # another file: its own inode
    other.write_text("x = 1\n")
    assert not registry.unchanged(exact, os.stat(other))
