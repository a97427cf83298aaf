"""Activation through the site machinery: a ``.pth`` file, off unless asked.

The line ``site`` executes costs one environment lookup when
``HOT_RESTART_PATTERNS`` is unset: hot_restart itself is imported only when
the variable names patterns.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

PTH_NAME = "hot_restart_activate.pth"
PTH_LINE = (
    "import os; os.environ.get('HOT_RESTART_PATTERNS') and __import__('hot_restart.activate')\n"
)


def pth_path() -> Path:
    return Path(sysconfig.get_paths()["purelib"]) / PTH_NAME


def command(action: str) -> int:
    path = pth_path()
    if action == "status":
        state = "installed" if path.exists() else "not installed"
        print(f"hot_restart: activation file {path} is {state}")
        patterns = os.environ.get("HOT_RESTART_PATTERNS")
        print(
            f"hot_restart: HOT_RESTART_PATTERNS={patterns!r}"
            if patterns
            else "hot_restart: HOT_RESTART_PATTERNS is not set, so it does nothing"
        )
        return 0
    try:
        if action == "install":
            path.write_text(PTH_LINE)
            print(f"hot_restart: wrote {path}; set HOT_RESTART_PATTERNS=myapp.* to activate")
        elif path.exists():
            path.unlink()
            print(f"hot_restart: removed {path}")
        else:
            print(f"hot_restart: {path} was not installed")
    except OSError as e:
        print(
            f"hot_restart: cannot write in {path.parent} ({e.strerror}); "
            "use a virtual environment or run with the needed permissions",
            file=sys.stderr,
        )
        return 1
    return 0
