"""Run a Python program in a fresh interpreter, as the tests that change import state do.

The hook changes ``sys.meta_path`` and ``sys.modules`` for a whole process,
so such a test runs its program in a child: this checkout importable, no
``HOT_RESTART_*`` setting of the caller's, bounded in time.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]


def env(*paths: str | Path) -> dict[str, str]:
    """This environment, with ``paths`` and this checkout first on the path."""
    found = {k: v for k, v in os.environ.items() if not k.startswith("HOT_RESTART")}
    found["PYTHONPATH"] = os.pathsep.join(
        [*map(str, paths), str(CHECKOUT), found.get("PYTHONPATH", "")]
    )
    return found


def run(program: str, *args: str | Path, timeout: float = 60) -> list[str]:
    """The output lines of ``python -c program args``; it must exit 0."""
    done = subprocess.run(
        [sys.executable, "-c", program, *map(str, args)],
        env=env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout.splitlines()
