"""A real Jupyter kernel for the tests, driven as a notebook front end would.

``Kernel`` starts ipykernel with jupyter_client's ``KernelManager`` (the
test's own Python, so the worktree's hot_restart is the one imported),
executes cells with or without stdin, and answers each ``input_request``
on the stdin channel through a callback that sees the output so far.  Every
wait is bounded; ``close`` shuts the kernel down (the fixtures call it).
"""

from __future__ import annotations

import os
import queue
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client import BlockingKernelClient, KernelManager

REPO_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0  # seconds: the machine may be busy
CELL_TIMEOUT = 30.0
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

#: What a front end answers to an input request, given (prompt, output so
#: far): a line, or None to send nothing (the test interrupts instead).
Answer = Callable[[str, str], "str | None"]


def plain(text: str) -> str:
    return _ANSI.sub("", text)


@dataclass
class Cell:
    """What one execute request produced, as a notebook would show it."""

    transcript: str = ""  # output and the input exchanges, in order of arrival
    output: str = ""  # streams and results only
    prompts: list[str] = field(default_factory=list)
    status: str = ""  # "ok" or "error", from the execute_reply
    ename: str = ""
    traceback: str = ""
    timed_out: bool = False


class Kernel:
    def __init__(self, cwd: Path, env: dict[str, str] | None = None) -> None:
        kernel_env = {k: v for k, v in os.environ.items() if not k.startswith("HOT_RESTART_")}
        kernel_env.update(
            PYTHONPATH=os.pathsep.join([str(REPO_ROOT), str(cwd)]),
            IPYTHONDIR=str(cwd / ".ipython"),
            JUPYTER_RUNTIME_DIR=str(cwd / ".runtime"),
            PYDEVD_DISABLE_FILE_VALIDATION="1",  # debugpy's start-up warning
        )
        kernel_env.update(env or {})
        self.manager = KernelManager(kernel_name="python3")
        self.manager.kernel_spec.argv[0] = sys.executable  # this venv's Python
        self.manager.connection_file = str(cwd / "kernel.json")
        self.manager.ip = "127.0.0.1"
        self.client: BlockingKernelClient | None = None
        self.manager.start_kernel(cwd=str(cwd), env=kernel_env)
        try:
            client = self.manager.client()
            client.start_channels()
            self.client = client
            client.wait_for_ready(timeout=START_TIMEOUT)
        except BaseException:
            self.close()
            raise

    def execute(
        self,
        code: str,
        answer: Answer | list[str] | None = None,
        allow_stdin: bool = True,
        timeout: float = CELL_TIMEOUT,
    ) -> Cell:
        """Run one cell to its end (reply and idle), answering input requests."""
        client = self.client
        assert client is not None
        if isinstance(answer, list):
            answer = _scripted(answer)
        msg_id = client.execute(code, allow_stdin=allow_stdin)
        cell = Cell()
        parts: list[str] = []
        idle = False
        deadline = time.monotonic() + timeout

        def take_iopub(wait: float) -> bool:
            nonlocal idle
            try:
                msg = client.get_iopub_msg(timeout=wait)
            except queue.Empty:
                return False
            if msg["parent_header"].get("msg_id") != msg_id:
                return True
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                parts.append(content["text"])
                cell.output += content["text"]
            elif kind == "execute_result":
                text = content["data"].get("text/plain", "") + "\n"
                parts.append(f"Out: {text}")
                cell.output += text
            elif kind == "error":
                cell.traceback = plain("\n".join(content["traceback"]))
                parts.append(cell.traceback + "\n")
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
            return True

        while not (cell.status and idle):
            if time.monotonic() > deadline:
                cell.timed_out = True
                break
            take_iopub(0.02)
            try:
                request = client.get_stdin_msg(timeout=0.01)
            except queue.Empty:
                pass
            else:
                if request["msg_type"] == "input_request":
                    while take_iopub(0.05):  # what was printed before the prompt
                        pass
                    prompt = request["content"]["prompt"]
                    cell.prompts.append(prompt)
                    line = answer(prompt, plain("".join(parts))) if answer else None
                    parts.append(f"{prompt}{line if line is not None else ''}\n")
                    if line is not None:
                        client.input(line)
            try:
                reply = client.get_shell_msg(timeout=0.01)
            except queue.Empty:
                pass
            else:
                if reply["parent_header"].get("msg_id") == msg_id:
                    cell.status = reply["content"]["status"]
                    cell.ename = reply["content"].get("ename", "")
        cell.transcript = plain("".join(parts))
        cell.output = plain(cell.output)
        return cell

    def interrupt(self) -> None:
        self.manager.interrupt_kernel()

    def close(self) -> None:
        if self.client is not None:
            self.client.stop_channels()
        if self.manager.has_kernel:
            self.manager.shutdown_kernel(now=True)
        self.manager.cleanup_resources()


def _scripted(lines: list[str]) -> Answer:
    """Answer with ``lines`` in turn, then ``q`` (a test never waits forever)."""
    pending = list(lines)

    def answer(prompt: str, output: str) -> str:
        return pending.pop(0) if pending else "q"

    return answer
