"""`just demo-notebook` runs end to end: the inventory demo in a real kernel."""

from __future__ import annotations

import subprocess
import sys

from scenario import ROOT


def test_the_notebook_demo_finishes_the_job_after_the_fix() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "demo" / "run_notebook_demo.py")],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "> hot_restart: inventory.apply_discount raised KeyError('VIP2024')" in done.stdout
    assert "all 5 orders processed, total $55.39" in done.stdout
