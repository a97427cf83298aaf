"""A crash in a Jupyter kernel: the front end's input box is the prompt.

One real ipykernel per module (jupyter_client's KernelManager), driven as a
notebook would: cells run with ``allow_stdin`` on (a notebook) or off
(papermill, nbconvert), each ``input_request`` answered on the stdin
channel.  The debugger is the suite's (HOT_RESTART_DEBUGGER, pdb by
default); every test uses modules of its own in the kernel's folder.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from kernel_session import Kernel
from scenario import debugger

BANNER = "> hot_restart: "


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    folder = tmp_path_factory.mktemp("kernel")
    started = Kernel(folder, {"HOT_RESTART_DEBUGGER": debugger()})
    try:
        yield started
    finally:
        started.close()


@pytest.fixture
def folder(kernel: Kernel) -> Path:
    cwd = kernel.manager.connection_file
    return Path(cwd).parent


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    return path


def install_and_import(kernel: Kernel, name: str) -> None:
    cell = kernel.execute(f"import hot_restart; hot_restart.install([{name!r}]); import {name}")
    assert cell.status == "ok", cell.transcript


AVERAGE = """\
def average(values):
    return sum(values) / len(values)
"""
AVERAGE_FIXED = """\
def average(values):
    return sum(values) / len(values) if values else 0.0
"""


def test_crash_opens_the_debugger_and_continue_reruns_the_fix(kernel: Kernel, folder: Path) -> None:
    path = write(folder, "k_fix", AVERAGE)
    install_and_import(kernel, "k_fix")
    seen: list[str] = []

    def front_end(prompt: str, output: str) -> str:
        seen.append(output)
        if len(seen) == 1:
            return "p values"
        path.write_text(AVERAGE_FIXED)
        return "c"

    cell = kernel.execute("k_fix.average([])", front_end)
    assert cell.status == "ok", cell.transcript
    assert cell.output.rstrip().endswith("0.0"), cell.transcript
    assert "> hot_restart: k_fix.average raised ZeroDivisionError" in seen[0], cell.transcript
    assert "hot_restart: reloaded average" in cell.output
    assert len(cell.prompts) == 2
    assert "[]" in seen[1]  # `p values` answered through the same channel


def test_quit_lets_the_original_exception_propagate(kernel: Kernel, folder: Path) -> None:
    write(folder, "k_quit", AVERAGE)
    install_and_import(kernel, "k_quit")
    cell = kernel.execute("k_quit.average([])", ["q"])
    assert cell.status == "error" and cell.ename == "ZeroDivisionError", cell.transcript
    assert len(cell.prompts) == 1
    assert cell.traceback.count("average") >= 1
    assert "hot_restart" not in cell.traceback


def test_interrupting_the_kernel_at_the_prompt_ends_with_the_original_error(
    kernel: Kernel, folder: Path
) -> None:
    write(folder, "k_interrupt", AVERAGE)
    install_and_import(kernel, "k_interrupt")

    def front_end(prompt: str, output: str) -> None:
        kernel.interrupt()  # and no reply, as when the user presses the stop button

    cell = kernel.execute("k_interrupt.average([])", front_end)
    assert not cell.timed_out, cell.transcript
    assert cell.status == "error" and cell.ename == "ZeroDivisionError", cell.transcript
    assert len(cell.prompts) == 1
    after = kernel.execute("print(6 * 7)")
    assert after.status == "ok" and after.output.strip() == "42", after.transcript


def test_without_stdin_the_exception_propagates_as_without_hot_restart(
    kernel: Kernel, folder: Path
) -> None:
    source = """\
    def ratio(a, b):
        scale = 10
        return scale * a / b
    """
    write(folder, "k_nostdin", source)
    write(folder, "k_nostdin_plain", source)
    install_and_import(kernel, "k_nostdin")
    assert kernel.execute("import k_nostdin_plain").status == "ok"
    instrumented = kernel.execute("k_nostdin.ratio(1, 0)", allow_stdin=False)
    plain = kernel.execute("k_nostdin_plain.ratio(1, 0)", allow_stdin=False)
    assert instrumented.ename == plain.ename == "ZeroDivisionError"
    assert instrumented.prompts == [] and instrumented.output == ""
    assert "hot_restart" not in instrumented.transcript
    normalised = re.sub(
        r"In\[\d+\]", "In[n]", plain.traceback.replace("k_nostdin_plain", "k_nostdin")
    )
    assert re.sub(r"In\[\d+\]", "In[n]", instrumented.traceback) == normalised


def test_the_same_crash_with_nothing_changed_prompts_again(kernel: Kernel, folder: Path) -> None:
    path = write(folder, "k_again", AVERAGE)
    install_and_import(kernel, "k_again")
    answers = iter(["c", "c"])

    def front_end(prompt: str, output: str) -> str:
        answer = next(answers, None)
        if answer is None:
            path.write_text(AVERAGE_FIXED)
            return "c"
        return answer

    cell = kernel.execute("k_again.average([])", front_end)
    assert cell.status == "ok", cell.transcript
    assert cell.output.rstrip().endswith("0.0")
    # c (nothing changed, first run: re-run), the same crash, c again: said, and asked again.
    assert cell.transcript.count(BANNER) == 2, cell.transcript
    assert cell.transcript.count("nothing changed on disk since the last run of average") == 1
    assert len(cell.prompts) == 3


def test_settings_set_with_env_take_effect_in_the_next_cell(kernel: Kernel, folder: Path) -> None:
    write(
        folder,
        "k_env",
        """\
        def number(text):
            return int(text)

        def parse(text):
            try:
                return number(text)
            except ValueError:
                return -1
        """,
    )
    install_and_import(kernel, "k_env")
    before = kernel.execute("k_env.parse('x')", ["q"])
    assert before.prompts == [] and before.output.strip() == "-1"
    kernel.execute("%env HOT_RESTART_STOP_ON=all")
    try:
        stopped = kernel.execute("k_env.parse('x')", ["q"])
    finally:
        kernel.execute("%env HOT_RESTART_STOP_ON=")
    assert len(stopped.prompts) == 1, stopped.transcript
    assert "k_env.number raised ValueError" in stopped.transcript
    assert stopped.output.strip().endswith("-1")
    after = kernel.execute("k_env.parse('x')", ["q"])
    assert after.prompts == [] and after.output.strip() == "-1"


def test_forced_prompt_without_stdin_still_ends_with_the_program_error(
    kernel: Kernel, folder: Path
) -> None:
    write(folder, "k_forced", AVERAGE)
    install_and_import(kernel, "k_forced")
    kernel.execute("%env HOT_RESTART_FORCE_PROMPT=1")
    try:
        cell = kernel.execute("k_forced.average([])", allow_stdin=False)
    finally:
        kernel.execute("%env HOT_RESTART_FORCE_PROMPT=")
    assert cell.ename == "ZeroDivisionError", cell.transcript
    assert "could not read a command (StdinNotImplementedError" in cell.output
    assert "ipykernel" not in cell.traceback


def test_watch_continues_on_save_in_a_kernel(kernel: Kernel, folder: Path) -> None:
    path = write(folder, "k_watch", AVERAGE)
    install_and_import(kernel, "k_watch")
    kernel.execute("%env HOT_RESTART_WATCH=1")

    def front_end(prompt: str, output: str) -> None:
        path.write_text(AVERAGE_FIXED)  # save, and type nothing

    try:
        cell = kernel.execute("k_watch.average([])", front_end)
    finally:
        kernel.execute("%env HOT_RESTART_WATCH=0")
    assert cell.status == "ok", cell.transcript
    assert "k_watch.py saved: continuing" in cell.output
    assert cell.output.rstrip().endswith("0.0")


def test_with_no_setting_the_kernel_picks_a_command_line_debugger(kernel: Kernel) -> None:
    # ipykernel imports debugpy (pydevd), with no client attached.
    cell = kernel.execute(
        "import os, sys, hot_restart\n"
        "saved = os.environ.pop('HOT_RESTART_DEBUGGER', None)\n"
        "try:\n"
        "    print('pydevd' in sys.modules, hot_restart.DEBUGGER)\n"
        "finally:\n"
        "    os.environ['HOT_RESTART_DEBUGGER'] = saved\n"
    )
    assert cell.output.split() == ["True", "ipdb"], cell.transcript


def test_pydevd_without_a_client_never_spins(kernel: Kernel, folder: Path) -> None:
    write(folder, "k_spin", AVERAGE)
    install_and_import(kernel, "k_spin")
    # As the issue found it: forced, pydevd's breakpoint() returned at once, and
    # that was taken as "continue": reload, crash, reload, never ending.  Now
    # pydevd with no client never opens, and the session's guard would stop a loop.
    kernel.execute("%env HOT_RESTART_DEBUGGER=pydevd")
    kernel.execute("%env HOT_RESTART_FORCE_PROMPT=1")
    try:
        cell = kernel.execute("k_spin.average([])", lambda prompt, output: "c", timeout=20)
    finally:
        kernel.execute(f"%env HOT_RESTART_DEBUGGER={debugger()}")
        kernel.execute("%env HOT_RESTART_FORCE_PROMPT=")
    assert not cell.timed_out
    assert cell.ename == "ZeroDivisionError", cell.transcript
    # No debug client: pydevd is not even opened (runtime/ide.py), one line says why.
    assert cell.transcript.count(BANNER) == 1, cell.transcript
    assert "letting the exception propagate" in cell.output, cell.transcript


def test_patterns_from_the_environment_prompt_in_the_kernel(tmp_path: Path) -> None:
    # HOT_RESTART_PATTERNS installs the hook when the kernel's Python starts,
    # before ipykernel exists: the first crash in a cell still finds the front end.
    path = write(tmp_path, "k_env_patterns", AVERAGE)
    # What the .pth line does (`python -m hot_restart pth install`), without
    # writing into the venv: the documented sitecustomize.py alternative.
    write(tmp_path, "sitecustomize", "import hot_restart.activate\n")
    started = Kernel(
        tmp_path, {"HOT_RESTART_DEBUGGER": debugger(), "HOT_RESTART_PATTERNS": "k_env_patterns"}
    )
    try:

        def front_end(prompt: str, output: str) -> str:
            path.write_text(AVERAGE_FIXED)
            return "c"

        cell = started.execute("import k_env_patterns\nk_env_patterns.average([])", front_end)
    finally:
        started.close()
    assert cell.status == "ok", cell.transcript
    assert "> hot_restart: k_env_patterns.average raised ZeroDivisionError" in cell.transcript
    assert cell.output.rstrip().endswith("0.0")


def test_outside_a_kernel_nothing_of_ipython_is_imported() -> None:
    import subprocess
    import sys

    from kernel_session import REPO_ROOT

    code = (
        "import sys, hot_restart\n"
        "hot_restart.install(['nothing_here'])\n"
        "from hot_restart.runtime import kernel\n"
        "from hot_restart.runtime.state import STATE\n"
        "print(kernel.can_prompt in STATE.prompt_places, kernel.can_prompt(), STATE.interactive())\n"
        "print([m for m in ('IPython', 'ipykernel', 'zmq') if m in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
    )
    assert done.stdout.splitlines() == ["True False False", "[]"], done.stdout + done.stderr
