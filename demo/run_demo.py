"""Scripted end-to-end demo of hot_restart (`just demo`).

Copies demo/inventory.py to a temp dir and runs it in a pseudo-terminal with pdb as
the debugger. When it crashes and the debugger prompt appears, the "editor" (this
script) overwrites the file with demo/inventory_fixed.py and types `c`; the program
must then finish all its orders and exit 0. Everything the program prints is echoed.
Every wait has a timeout; any unexpected outcome exits 1 with a message.

--buggy/--fixed/--expect swap in other programs (e.g. to test this script itself).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pexpect

DEMO_DIR = Path(__file__).resolve().parent
REPO_ROOT = DEMO_DIR.parent
PROMPT = r"\(Pdb\) |ipdb> "
TIMEOUT = 20  # seconds, for every wait


def say(message: str) -> None:
    print(f"\n[demo] {message}", flush=True)


class DemoFailed(Exception):
    pass


def expect(child: pexpect.spawn, pattern: object, waiting_for: str, fatal: object = None) -> None:
    """Wait for ``pattern``; raise DemoFailed on EOF, timeout, or the ``fatal`` pattern."""
    patterns = [pattern] + [p for p in (pexpect.EOF, pexpect.TIMEOUT) if p is not pattern]
    patterns += [fatal] if fatal else []
    got = patterns[child.expect(patterns)]
    if got is pattern:
        return
    if got is pexpect.EOF:
        raise DemoFailed(f"the program exited while waiting for {waiting_for}")
    if got is pexpect.TIMEOUT:
        raise DemoFailed(f"timed out after {TIMEOUT} s waiting for {waiting_for}")
    raise DemoFailed(f"the debugger opened again while waiting for {waiting_for}")


def run(buggy: Path, fixed: Path, final_line: str) -> None:
    with tempfile.TemporaryDirectory(prefix="hot_restart_demo_") as tmp:
        script = Path(tmp) / buggy.name
        shutil.copy(buggy, script)
        pythonpath = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
        env = dict(os.environ, HOT_RESTART_DEBUGGER="pdb", PYTHONPATH=pythonpath)
        say(f"running {script} under hot_restart (debugger: pdb)")
        child = pexpect.spawn(
            sys.executable,
            [str(script)],
            cwd=tmp,
            env=env,
            encoding="utf-8",
            codec_errors="replace",
            timeout=TIMEOUT,
        )
        child.logfile_read = sys.stdout  # echo everything the program prints
        try:
            expect(child, PROMPT, "debugger prompt after the crash")
            say(f"fixing apply_discount in the editor... (saving {fixed.name} over {script.name})")
            shutil.copy(fixed, script)
            say("typing `c` in the debugger: reload the function and carry on")
            child.sendline("c")
            expect(child, re.escape(final_line), f"the line {final_line!r}", fatal=PROMPT)
            expect(child, pexpect.EOF, "the program to exit")
            child.close()
            if child.exitstatus != 0:
                how = f"signal {child.signalstatus}" if child.signalstatus else child.exitstatus
                raise DemoFailed(f"the program exited with status {how}")
        finally:
            if child.isalive():
                child.terminate(force=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buggy", type=Path, default=DEMO_DIR / "inventory.py")
    parser.add_argument("--fixed", type=Path, default=DEMO_DIR / "inventory_fixed.py")
    parser.add_argument("--expect", default="all 5 orders processed", help="final line")
    args = parser.parse_args(argv)
    try:
        run(args.buggy.resolve(), args.fixed.resolve(), args.expect)
    except DemoFailed as exc:
        say(f"DEMO FAILED: {exc}")
        return 1
    say("success: the crash was fixed in place and the job finished without restarting")
    return 0


if __name__ == "__main__":
    sys.exit(main())
