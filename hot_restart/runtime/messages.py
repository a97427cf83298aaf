"""One-line messages to the person at the terminal."""

from __future__ import annotations

import sys


def say(message: str) -> None:
    """Print to stderr, prefixed, so it stands apart from the program's output."""
    try:
        print(f"hot_restart: {message}", file=sys.stderr, flush=True)
    except Exception:  # a closed stderr must not turn into a second crash
        pass
