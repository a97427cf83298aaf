"""Drive remote attach the way a person would: a process with no terminal
crashes, and ``python -m hot_restart attach`` is typed in a real pty.

The crashed process runs in its own session (no controlling terminal, stdin
``/dev/null``), like a daemon; its stderr is read line by line by a thread so
that every wait is bounded.  Everything started here is killed in ``close``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pexpect
from scenario import TIMEOUT, Pty, debugger

ROOT = Path(__file__).resolve().parent.parent
ATTACH_LINE = re.compile(r"python -m hot_restart attach (\S+):(\d+) --token ([0-9a-f]+)")


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    run = tmp_path / "run"
    run.mkdir(mode=0o700, exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "XDG_RUNTIME_DIR": str(run),  # this test's private session folder
        "PYTHONPATH": str(ROOT),
        "HOT_RESTART_DEBUGGER": debugger(),
        "TERM": "dumb",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


class Crashed:
    """A program without a terminal; its stderr lines arrive in a queue."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # no controlling terminal: a daemon's situation
        )
        self.stderr: list[str] = []
        self.ended = False
        self._cursor = 0  # lines before it were matched past
        self._changed = threading.Condition()
        self.stdout: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, daemon=True),
            threading.Thread(target=self._read_out, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_out(self) -> None:
        assert self.proc.stdout is not None
        self.stdout.extend(self.proc.stdout)

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._changed:
                self.stderr.append(line)
                self._changed.notify_all()
        with self._changed:
            self.ended = True
            self._changed.notify_all()

    def wait_line(self, pattern: str, timeout: float = TIMEOUT) -> re.Match[str]:
        """The first line from the cursor on that matches (the cursor moves to it)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for i in range(self._cursor, len(self.stderr)):
                    match = re.search(pattern, self.stderr[i])
                    if match:
                        self._cursor = i
                        return match
                left = deadline - time.monotonic()
                if self.ended or left <= 0:
                    raise AssertionError(
                        f"no line matching {pattern!r}; stderr:\n{''.join(self.stderr)}"
                    )
                self._changed.wait(left)

    def matches(self, pattern: str, count: int, timeout: float = TIMEOUT) -> list[re.Match[str]]:
        """The first ``count`` lines matching, once there are that many."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [m for m in (re.search(pattern, line) for line in self.stderr) if m]
                if len(found) >= count:
                    return found[:count]
                left = deadline - time.monotonic()
                if self.ended or left <= 0:
                    raise AssertionError(
                        f"{len(found)} lines matching {pattern!r}, not {count}; "
                        f"stderr:\n{''.join(self.stderr)}"
                    )
                self._changed.wait(left)

    def attach_line(self, timeout: float = TIMEOUT) -> tuple[str, int, str]:
        match = self.wait_line(ATTACH_LINE.pattern, timeout)
        return match[1], int(match[2]), match[3]

    def finish(self, timeout: float = TIMEOUT) -> tuple[int, str, str]:
        """(status, stdout, stderr) once it ends."""
        self.proc.wait(timeout)
        for reader in self._readers:
            reader.join(timeout)
        return self.proc.returncode, "".join(self.stdout), "".join(self.stderr)

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(TIMEOUT)


class Client(Pty):
    """``python -m hot_restart attach ...`` in a pseudo-terminal."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        super().__init__(["-m", "hot_restart", "attach", *args], cwd, env)

    def finish(self) -> int:
        self.expect(pexpect.EOF)
        self.child.close()
        status = self.child.exitstatus
        assert status is not None, f"killed by signal {self.child.signalstatus}:\n{self.output}"
        return status

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
