"""Imported by the ``.pth`` line (or a ``sitecustomize.py``) when
``HOT_RESTART_PATTERNS`` is set: install the hook before the program runs.

A bad value must never stop the interpreter from starting, so it is
reported on one line and ignored.
"""

from __future__ import annotations

import os
import sys


def activate_from_environment() -> None:
    value = os.environ.get("HOT_RESTART_PATTERNS", "")
    if not value:
        return  # unset or empty: off, as the .pth line has it
    patterns = [p.strip() for p in value.split(",") if p.strip()]
    if not patterns:
        # Set, yet naming nothing (' ', ','): say so rather than do nothing silently.
        print(
            f"hot_restart: HOT_RESTART_PATTERNS={value!r} names no pattern; "
            "give comma-separated patterns like 'myapp.*' (hot_restart is not active)",
            file=sys.stderr,
        )
        return
    try:
        from .hook import install

        install(patterns)
    except ValueError as e:
        print(f"{e} (from HOT_RESTART_PATTERNS; hot_restart is not active)", file=sys.stderr)


activate_from_environment()
