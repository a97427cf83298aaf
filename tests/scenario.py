"""Drive a program through a real terminal, the way a person would.

A scenario is a folder under ``tests/scenarios`` holding ``in_1.py`` (the
buggy program) and ``in_2.py`` (the fixed one), plus any helper modules.
The test copies it to a temporary folder, runs ``prog.py`` (a copy of
``in_1.py``) in a pseudo-terminal, waits for the debugger, "edits" the file
by copying ``in_2.py`` over it, and types commands.  Every wait has a short
timeout, so a broken scenario fails instead of hanging.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = Path(__file__).resolve().parent / "scenarios"
PROMPT = r"\(Pdb\) |ipdb> "
TIMEOUT = 20  # ipdb's first start imports IPython; pdb answers in well under a second
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def plain(text: str) -> str:
    """Terminal output without colours or cursor moves (ipdb colours its listings)."""
    return _ANSI.sub("", text).replace("\r\n", "\n")


def error_line(expression: str) -> str:
    """The last traceback line this Python prints for ``expression``, e.g. ``ZeroDivisionError: ...``.

    Messages change between versions (3.14 says ``division by zero`` where 3.10-3.13 said
    ``integer division or modulo by zero``), and scenarios run under this same interpreter
    (``sys.executable``), so tests ask it rather than hard-code one version's text.
    """
    try:
        eval(expression)  # only ever called with literals from the tests
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    raise AssertionError(f"{expression!r} did not raise")


def debugger() -> str:
    return os.environ.get("HOT_RESTART_DEBUGGER", "pdb")


class Pty:
    """A Python child in a pseudo-terminal, driven as a person would, with its transcript."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.child = pexpect.spawn(
            sys.executable,
            args,
            cwd=str(cwd),
            env=env,
            encoding="utf-8",
            timeout=TIMEOUT,
            dimensions=(50, 200),
        )
        self.transcript: list[str] = []
        transcript = self.transcript

        class _Log:
            def write(self, data: str) -> None:
                transcript.append(data)

            def flush(self) -> None:
                pass

        self.child.logfile_read = _Log()

    @property
    def output(self) -> str:
        return plain("".join(self.transcript))

    def expect(self, pattern: str | type[pexpect.EOF], timeout: float = TIMEOUT) -> str:
        try:
            self.child.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as e:
            raise AssertionError(
                f"expected {pattern!r}; got {type(e).__name__}. Transcript:\n{self.output}"
            ) from None
        return plain(str(self.child.before) + str(self.child.after))

    def prompt(self) -> str:
        """Wait for the debugger prompt; returns what came before it."""
        return self.expect(PROMPT)

    def send(self, line: str) -> None:
        self.child.sendline(line)


class Session(Pty):
    def __init__(
        self,
        tmp_path: Path,
        scenario: str,
        *,
        args: list[str] | None = None,
        env: dict[str, str] | None = None,
        main: str = "prog.py",
        run: str | None = None,
    ) -> None:
        """``in_1.py`` is copied to ``main``; ``run`` (default: ``main``) is run."""
        self.dir = tmp_path / scenario
        shutil.copytree(SCENARIOS / scenario, self.dir)
        self.prog = self.dir / main
        shutil.copy(self.dir / "in_1.py", self.prog)
        if args is None:
            args = [str(self.dir / (run or main))]
        full_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path),  # no ~/.pdbrc or IPython profile of the machine's
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(self.dir)]),
            "HOT_RESTART_DEBUGGER": debugger(),
            "TERM": "dumb",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
        }
        full_env.update(env or {})
        super().__init__(args, self.dir, full_env)

    def fix(self, version: str = "in_2.py", target: str | None = None) -> None:
        """Play the editor: overwrite the program (or ``target``) with a version."""
        dest = self.dir / target if target else self.prog
        text = (self.dir / version).read_text()
        dest.write_text(text)

    def write(self, name: str, text: str) -> None:
        (self.dir / name).write_text(text)

    def finish(self, status: int = 0) -> str:
        """Wait for the program to end; check its exit status."""
        self.expect(pexpect.EOF)
        self.child.close()
        assert self.child.exitstatus == status, (
            f"exit status {self.child.exitstatus} (signal {self.child.signalstatus}), "
            f"expected {status}. Transcript:\n{self.output}"
        )
        return self.output

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
