"""Scripted end-to-end demo of hot_restart in a Jupyter kernel (`just demo-notebook`).

Starts a real ipykernel (jupyter_client's KernelManager, this Python) in a temp dir
holding a copy of demo/inventory.py, and plays the notebook front end: it runs the
cell `import inventory; inventory.main()`, and when the crash opens the debugger (an
input_request on the stdin channel), the "editor" (this script) saves
demo/inventory_fixed.py over the copy and answers `c`; the cell must then finish all
its orders. The whole exchange is printed as a notebook would show it. Every wait
has a timeout; any unexpected outcome exits 1 with a message; the kernel is always
shut down.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client import KernelManager

DEMO_DIR = Path(__file__).resolve().parent
REPO_ROOT = DEMO_DIR.parent
TIMEOUT = 60  # seconds, for the kernel to start and for each cell
FINAL_LINE = "all 5 orders processed"
CELL = "import inventory\ninventory.main()"


def say(message: str) -> None:
    print(f"\n[demo] {message}", flush=True)


class DemoFailed(Exception):
    pass


def run_cell(manager: KernelManager, code: str, fixed: Path, script: Path) -> str:
    """Run ``code`` as a notebook cell; return everything it printed."""
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=TIMEOUT)
        print(f"\nIn [1]: {code.replace(chr(10), chr(10) + '        ')}\n", flush=True)
        msg_id = client.execute(code, allow_stdin=True)
        printed: list[str] = []
        status = ""
        idle = False
        answered = 0
        deadline = time.monotonic() + TIMEOUT

        def take_output(wait: float) -> bool:
            nonlocal idle
            try:
                msg = client.get_iopub_msg(timeout=wait)
            except queue.Empty:
                return False
            if msg["parent_header"].get("msg_id") != msg_id:
                return True
            kind, content = msg["msg_type"], msg["content"]
            text = ""
            if kind == "stream":
                text = content["text"]
            elif kind == "error":
                text = "\n".join(content["traceback"]) + "\n"
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
            printed.append(text)
            sys.stdout.write(text)
            sys.stdout.flush()
            return True

        while not (status and idle):
            if time.monotonic() > deadline:
                raise DemoFailed(f"timed out after {TIMEOUT} s waiting for the cell to finish")
            take_output(0.02)
            try:
                request = client.get_stdin_msg(timeout=0.01)
            except queue.Empty:
                pass
            else:
                while take_output(0.05):  # what was printed before the prompt
                    pass
                prompt = request["content"]["prompt"]
                if answered:
                    raise DemoFailed("the debugger opened again after the fix")
                answered += 1
                say(f"the notebook shows an input box ({prompt.strip()!r}): the debugger is open")
                say(f"fixing apply_discount in the editor (saving {fixed.name} over {script.name})")
                shutil.copy(fixed, script)
                say("typing `c` in the input box: reload the function and carry on\n")
                print(f"{prompt}c", flush=True)
                client.input("c")
            try:
                reply = client.get_shell_msg(timeout=0.01)
            except queue.Empty:
                pass
            else:
                if reply["parent_header"].get("msg_id") == msg_id:
                    status = reply["content"]["status"]
        if status != "ok":
            raise DemoFailed(f"the cell ended with status {status!r}")
        if not answered:
            raise DemoFailed("the debugger never opened")
        return "".join(printed)
    finally:
        client.stop_channels()


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="hot_restart_notebook_demo_") as tmp:
        folder = Path(tmp)
        script = folder / "inventory.py"
        shutil.copy(DEMO_DIR / "inventory.py", script)
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOT_RESTART_")}
        env.update(
            PYTHONPATH=os.pathsep.join([str(REPO_ROOT), tmp]),
            IPYTHONDIR=str(folder / ".ipython"),
            PYDEVD_DISABLE_FILE_VALIDATION="1",
        )
        manager = KernelManager(kernel_name="python3")
        manager.kernel_spec.argv[0] = sys.executable
        manager.connection_file = str(folder / "kernel.json")
        manager.ip = "127.0.0.1"
        say(f"starting a Jupyter kernel in {tmp} (no hot_restart setting at all)")
        try:
            manager.start_kernel(cwd=tmp, env=env)
            printed = run_cell(manager, CELL, DEMO_DIR / "inventory_fixed.py", script)
            if not re.search(re.escape(FINAL_LINE), printed):
                raise DemoFailed(f"the cell finished without printing {FINAL_LINE!r}")
        except DemoFailed as exc:
            say(f"DEMO FAILED: {exc}")
            return 1
        finally:
            if manager.has_kernel:
                manager.shutdown_kernel(now=True)
            manager.cleanup_resources()
    say("success: the crash was fixed in place and the cell finished without running again")
    return 0


if __name__ == "__main__":
    sys.exit(main())
