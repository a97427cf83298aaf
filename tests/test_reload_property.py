"""After a reload, exactly the code on disk runs: checked on generated modules.

``reload_cases.py`` does the work in a fresh interpreter (the hook changes
the import state of the whole process); see its docstring.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_a_reload_runs_exactly_the_code_on_disk() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOT_RESTART")}
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-W", "ignore::SyntaxWarning", str(HERE / "reload_cases.py"), "80"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-6000:]
    counts = dict(item.split("=") for item in done.stdout.split()[-2:])
    assert int(counts["reloaded"]) > 0, done.stdout  # the edits did reach reloads
