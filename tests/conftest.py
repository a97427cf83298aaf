from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from scenario import Session


@pytest.fixture
def session(tmp_path: Path) -> Iterator[type[Session]]:
    """Start scenario sessions that are always cleaned up, even on failure."""
    started: list[Session] = []

    def start(*args: object, **kwargs: object) -> Session:
        s = Session(tmp_path, *args, **kwargs)  # type: ignore[arg-type]
        started.append(s)
        return s

    yield start  # type: ignore[misc]
    for s in started:
        s.close()
