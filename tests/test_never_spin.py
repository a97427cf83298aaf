"""A debugger that comes back without stopping never makes a tight loop.

pdb runs the commands of a ``.pdbrc`` before it reads any: one that says
``c`` continues at once, every time, as pydevd's ``breakpoint()`` with no
client did in a kernel.  Before, that was taken as "continue": reload,
crash, reload, without end.  Now the same crash, with nothing changed on
disk and a debugger that read no command, lets the exception propagate.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from scenario import ROOT


def test_a_debugger_that_never_stops_lets_the_exception_go(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("def average(values):\n    return sum(values) / len(values)\n")
    (tmp_path / "prog.py").write_text(
        textwrap.dedent(
            """\
            import hot_restart
            hot_restart.install(["mod"])
            import mod
            print(mod.average([]))
            """
        )
    )
    (tmp_path / ".pdbrc").write_text("c\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOT_RESTART_")}
    env.update(
        HOME=str(tmp_path),
        PYTHONPATH=str(ROOT),
        HOT_RESTART_FORCE_PROMPT="1",
        HOT_RESTART_DEBUGGER="pdb",
    )
    done = subprocess.run(
        [sys.executable, "prog.py"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stdout[-2000:]
    assert done.stderr.rstrip().splitlines()[-1].startswith("ZeroDivisionError"), done.stderr
    assert done.stdout.count("> hot_restart: mod.average raised") == 2, done.stdout
    said = done.stderr  # hot_restart's one-line messages
    assert "the debugger (pdb) returned without stopping, and nothing changed on disk" in said
