"""The benchmark that drives the reload through its internals still runs.

``benchmarks/bench_classic.py`` sets the registry's copy of a loaded file
directly, so a change of that layout breaks it, and only ``just bench``
would notice.  It takes about two seconds: run it whole, and check that it
printed its rows; its figures are not looked at (no timing in tests).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import child

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_classic.py"


def test_bench_classic_runs_to_its_last_row() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH)],
        env=child.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "reload all after editing two, 1,500 defs apart" in done.stdout
