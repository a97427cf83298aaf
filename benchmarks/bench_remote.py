"""What remote attach (``HOT_RESTART_REMOTE``) costs, beside a same-run baseline.

- **No crash, pool workload** (target <= 1.02x): a ``multiprocessing``
  pool (fork, 2 workers) maps an instrumented function that does ~0.2 ms of
  arithmetic and catches five ``KeyError``s of an instrumented helper per
  item.  Remote mode makes a prompt possible without a terminal, so those
  caught exceptions take the "is it handled?" path (as under a terminal)
  instead of the no-terminal shortcut; that is its only cost when nothing
  crashes.  A second line shows that cost bare: items that are mostly
  caught exceptions (the trampoline's, see bench_exceptions.py).  The
  baseline is the same instrumented program with ``HOT_RESTART_REMOTE``
  unset.  Each figure is the workers' CPU time for one map (summed over
  the chunks, so waiting on a busy machine does not count), the best of 5
  maps in each of 5 child processes, the two settings alternating.
- **Crash to attachable session**: from the raise (a ``time.monotonic()``
  the program prints just before the call) to the attach line on stderr,
  and to the port accepting a connection.  Baseline: the same crash under a
  pseudo-terminal, from the raise to pdb's prompt.

The machine may be shared: the ratios against the same-run baselines are the
figures to read.
"""

from __future__ import annotations

import os
import re
import select
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _common import row  # noqa: E402

WORK = """
def lookup(table, key):
    return table[key]


def score(table, key):
    try:
        return lookup(table, key)
    except KeyError:
        return 0


def item(n, steps=ITEM_STEPS):
    table = {i: i * i for i in range(0, 50, 2)}
    total = 0
    for i in range(steps):
        total += (i * n) % 7
    for key in range(10):  # five of these raise KeyError, caught by score()
        total += score(table, key)
    return total
"""

POOL = """
import multiprocessing, time
import hot_restart

hot_restart.install(["work"])
import work


def chunk(numbers):
    # CPU time in the worker: waiting and scheduling on a busy machine are not the workload's.
    start = time.process_time()
    for n in numbers:
        work.item(n)
    return time.process_time() - start


def timed(pool):
    step = ITEMS // 40
    return sum(pool.map(chunk, [range(i, i + step) for i in range(0, ITEMS, step)]))


if __name__ == "__main__":
    with multiprocessing.get_context("fork").Pool(2) as pool:
        timed(pool)  # warm the workers
        print(min(timed(pool) for _ in range(5)))
"""

CRASH = """
import sys, time
import hot_restart

hot_restart.install(["work"])
import work

print(time.monotonic(), flush=True)
work.lookup({}, "missing")
"""


def pool_round(folder: Path, remote: bool, heavy: bool) -> float:
    """Seconds per pool map: ``heavy`` items are mostly caught exceptions."""
    steps, items = (200, 20000) if heavy else (5000, 2000)
    (folder / "work.py").write_text(f"ITEM_STEPS = {steps}\n" + WORK)
    (folder / "pool.py").write_text(f"ITEMS = {items}\n" + POOL)
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{folder}")
    env.pop("HOT_RESTART_REMOTE", None)
    if remote:
        env["HOT_RESTART_REMOTE"] = "0"
    done = subprocess.run(
        [sys.executable, str(folder / "pool.py")],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return float(done.stdout.split()[-1])


def crash_to_session(folder: Path) -> tuple[float, float]:
    """(raise -> attach line, raise -> port accepting), in seconds."""
    env = dict(
        os.environ,
        PYTHONPATH=f"{ROOT}{os.pathsep}{folder}",
        HOT_RESTART_REMOTE="0",
        HOT_RESTART_REMOTE_TIMEOUT="0.5",
        XDG_RUNTIME_DIR=str(folder / "run"),
    )
    proc = subprocess.Popen(
        [sys.executable, str(folder / "crash.py")],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "the program did not start"
        raised = float(proc.stdout.readline())
        line = proc.stderr.readline()
        printed = time.monotonic()
        match = re.search(r"attach (\S+):(\d+) ", line)
        assert match, line
        with socket.create_connection((match[1], int(match[2])), timeout=10):
            listening = time.monotonic()
        return printed - raised, listening - raised
    finally:
        proc.kill()
        proc.wait(30)


def crash_to_prompt(folder: Path) -> float:
    """Raise -> pdb's prompt under a pseudo-terminal (the local baseline)."""
    import pexpect

    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{folder}", HOT_RESTART_DEBUGGER="pdb")
    env.pop("HOT_RESTART_REMOTE", None)
    child = pexpect.spawn(sys.executable, [str(folder / "crash.py")], env=env, encoding="utf-8")
    try:
        child.expect(r"(\d+\.\d+)\r\n", timeout=60)
        raised = float(child.match[1])
        child.expect(r"\(Pdb\) ", timeout=60)
        return time.monotonic() - raised
    finally:
        child.terminate(force=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "run").mkdir(mode=0o700)
        (folder / "work.py").write_text("ITEM_STEPS = 1\n" + WORK)
        (folder / "crash.py").write_text(CRASH)
        print("remote attach: cost when nothing crashes, and crash to attachable session")
        for heavy, label, target in (
            (False, "pool map, 2,000 items of ~0.2 ms, remote (vs unset)", "target <= 1.02x"),
            (True, "pool map, 20,000 items of ~3 us + 5 caught, remote", "(exceptions' cost)"),
        ):
            unset: list[float] = []
            remote: list[float] = []
            for _ in range(5):
                unset.append(pool_round(folder, remote=False, heavy=heavy))
                remote.append(pool_round(folder, remote=True, heavy=heavy))
            print(row(label, min(remote), min(unset), "ms", target))
        lines, ports, prompts = [], [], []
        for _ in range(5):
            printed, listening = crash_to_session(folder)
            lines.append(printed)
            ports.append(listening)
            prompts.append(crash_to_prompt(folder))
        baseline = min(prompts)
        print(row("crash -> attach line printed (vs local pdb prompt)", min(lines), baseline, "ms"))
        print(row("crash -> port accepting (vs local pdb prompt)", min(ports), baseline, "ms"))


if __name__ == "__main__":
    main()
