"""The IPython extension, ``%autoreload`` cooperation and cell-defined functions (#11).

Everything runs a real IPython: an ``InteractiveShell`` in a subprocess
(imports and the shell are process-wide state), a terminal ``ipython`` in a
pty for the prompting round trip, and a real ipykernel (started through
jupyter_client's ``KernelManager``) for the kernel's cell file names.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pytest
from scenario import PROMPT, ROOT, debugger, plain

IPython = pytest.importorskip("IPython")

HELPER = """\
def helper(x):
    return x + 1


class Box:
    def size(self):
        return 1


def main(x):
    y = helper(x)
    return y * 2
"""


def run_shell(tmp_path: Path, cells: list[str], prologue: str = "") -> str:
    """Run ``cells`` one by one in a fresh InteractiveShell; stdout and stderr together.

    Each cell is echoed as ``[cell] ...`` first, so a test can tell which cell said what.
    ``edit(name, text)`` in a cell rewrites a file of ``tmp_path`` with a later mtime.
    """
    script = tmp_path / "drive_shell.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import os, sys, time
            sys.path.insert(0, {str(tmp_path)!r})
            from IPython.core.interactiveshell import InteractiveShell
            ip = InteractiveShell.instance()
            def edit(name, text, _bump=[0]):
                path = os.path.join({str(tmp_path)!r}, name)
                with open(path, "w") as f:
                    f.write(text)
                _bump[0] += 10  # autoreload compares mtimes; no sleep needed
                os.utime(path, (time.time() + _bump[0],) * 2)
            ip.user_ns["edit"] = edit
            {prologue}
            for cell in {cells!r}:
                print("[cell]", cell.splitlines()[0], flush=True)
                ip.run_cell(cell, store_history=True)
                sys.stdout.flush(); sys.stderr.flush()
            """
        )
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HOME": str(tmp_path),
        "IPYTHONDIR": str(tmp_path / ".ipython"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout
    return done.stdout


def said_by(output: str, cell: str) -> str:
    """What the cell starting with ``cell`` printed."""
    start = output.index(f"[cell] {cell}\n") + len(f"[cell] {cell}\n")
    end = output.find("[cell] ", start)
    return output[start : end if end != -1 else None]


# -- the extension ------------------------------------------------------------


def test_import_stays_lazy_and_the_extension_is_found(tmp_path: Path) -> None:
    out = run_shell(
        tmp_path,
        [
            "import sys, hot_restart\n"
            "print('before', 'hot_restart.ipython' in sys.modules, 'hot_restart.hook' in sys.modules)",
            "%load_ext hot_restart",
            "print('after', 'hot_restart.ipython' in sys.modules)",
        ],
    )
    assert "before False False" in out
    assert "after True" in out


def test_magic_installs_lists_and_turns_off(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "core.py").write_text(HELPER)
    (tmp_path / "other.py").write_text(HELPER)
    (tmp_path / "late.py").write_text(HELPER)
    out = run_shell(
        tmp_path,
        [
            "%load_ext hot_restart",
            "%hot_restart",
            "%hot_restart app.* other",
            "import app.core, other; from hot_restart.transform import is_instrumented",
            "print(is_instrumented(app.core.helper.__code__), is_instrumented(other.main.__code__))",
            "%hot_restart",
            "%hot_restart --off other",
            "%hot_restart",
            "%hot_restart --off",
            "import late; print('late', is_instrumented(late.helper.__code__))",
            "%hot_restart",
        ],
    )
    assert "no patterns; `%hot_restart myapp.*`" in said_by(out, "%hot_restart")
    assert "True True" in out
    listing = out.split("[cell] %hot_restart\n")[2]
    assert "patterns: app.* other" in listing
    assert "instrumented: app, app.core, other" in listing
    assert "patterns: app.*\n" in out.split("[cell] %hot_restart\n")[3]
    assert "late False" in out
    assert "no patterns" in out.split("[cell] %hot_restart\n")[4]


def test_modules_imported_before_are_named_and_wrap_instruments_them(tmp_path: Path) -> None:
    (tmp_path / "early.py").write_text(HELPER)
    out = run_shell(
        tmp_path,
        [
            "import early; from early import helper; from hot_restart.transform import is_instrumented",
            "%load_ext hot_restart",
            "%hot_restart early",
            "%hot_restart",
            "%hot_restart --wrap",
            "print(is_instrumented(helper.__code__), is_instrumented(early.Box.size.__code__))",
            "%hot_restart",
        ],
    )
    warned = said_by(out, "%hot_restart early")
    assert warned.strip() == (
        "hot_restart: early was imported before %hot_restart, so not instrumented; "
        "`%hot_restart --wrap` instruments it in place"
    )
    assert "imported before %hot_restart, not instrumented: early" in out
    assert "hot_restart: instrumented early" in said_by(out, "%hot_restart --wrap")
    assert "True True" in out
    last = out.rsplit("[cell] %hot_restart\n", 1)[1]
    assert "instrumented: early" in last and "not instrumented" not in last


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("%hot_restart --bogus", "unknown option '--bogus'"),
        (
            "%hot_restart myapp/core.py",
            "'myapp/core.py' is a file; give module names, like 'myapp.core'",
        ),
        ("%hot_restart my(app)", "'my(app)' is not a module pattern"),
        ("%hot_restart --off --wrap", "--wrap and --off do not go together"),
        ("%hot_restart --wrap", "no patterns installed to wrap by"),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, line: str, message: str) -> None:
    out = said_by(run_shell(tmp_path, ["%load_ext hot_restart", line]), line)
    assert out.strip().splitlines() == [
        f"UsageError: hot_restart: {out.split('hot_restart: ', 1)[1].strip()}"
    ]
    assert message in out


# -- %autoreload --------------------------------------------------------------


@pytest.mark.parametrize("mode", ["2", "2 --full", "3"])
def test_autoreload_swaps_in_instrumented_code_with_the_files_lines(
    tmp_path: Path, mode: str
) -> None:
    """Mode 2 patches code in place (IPython 9); --full and 3 re-import the module."""
    if "--full" in mode and IPython.version_info < (9,):
        pytest.skip("IPython 8's mode 2 is the full reload already (no --full)")
    (tmp_path / "mod.py").write_text(HELPER)
    edited = HELPER.replace("    return x + 1\n", "\n    return x + 2\n").replace(
        "        return 1\n", "\n\n        return 3\n"
    )
    out = run_shell(
        tmp_path,
        [
            "%load_ext autoreload",
            f"%autoreload {mode}",
            "%load_ext hot_restart",
            "%hot_restart mod",
            "import mod; from mod import helper; from hot_restart.transform import is_instrumented",
            f"edit('mod.py', {edited!r})",
            "print('new', helper(1), mod.Box().size())",
            "c1, c2 = helper.__code__, mod.Box.size.__code__\n"
            "print('code', is_instrumented(c1), c1.co_firstlineno, is_instrumented(c2), c2.co_firstlineno)",
        ],
    )
    assert "new 3 3" in out  # autoreload's swap itself still happened
    # helper's def is still on line 1 and Box.size's on line 7: the file's lines
    assert "code True 1 True 7" in out


def test_autoreload_then_hot_restart_load_order_does_not_matter(tmp_path: Path) -> None:
    """The extension loaded first still runs after autoreload's pre-cell reload."""
    (tmp_path / "mod.py").write_text(HELPER)
    edited = HELPER.replace("    return x + 1\n", "\n    return x + 2\n")
    out = run_shell(
        tmp_path,
        [
            "%load_ext hot_restart",
            "%hot_restart mod",
            "%load_ext autoreload",
            "%autoreload 2",
            "import mod; from hot_restart.transform import is_instrumented",
            f"edit('mod.py', {edited!r})",
            "c = mod.helper.__code__; print('code', mod.helper(1), is_instrumented(c), c.co_firstlineno)",
        ],
    )
    assert "code 3 True 1" in out


@pytest.fixture
def ipython_session(tmp_path: Path) -> Iterator[tuple[pexpect.spawn, Path]]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "IPYTHONDIR": str(tmp_path / ".ipython"),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)]),
        "HOT_RESTART_DEBUGGER": debugger(),
        "TERM": "dumb",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    child = pexpect.spawn(
        sys.executable,
        [
            "-m",
            "IPython",
            "--simple-prompt",
            "--no-banner",
            "--colors=NoColor",
            "--HistoryManager.enabled=False",
        ],
        cwd=str(tmp_path),
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 200),
    )
    try:
        yield child, tmp_path
    finally:
        if child.isalive():
            child.terminate(force=True)


IN = r"In \[\d+\]: "


def test_crash_after_autoreload_names_the_right_function_and_continues(
    ipython_session: tuple[pexpect.spawn, Path],
) -> None:
    """The user's steps in terminal IPython: the README's "Notebooks" section."""
    child, folder = ipython_session
    source = folder / "mod.py"
    source.write_text(HELPER)
    transcript: list[str] = []

    def expect(pattern: str) -> str:
        try:
            child.expect(pattern)
        except (pexpect.TIMEOUT, pexpect.EOF) as e:
            raise AssertionError(
                f"expected {pattern!r}: {e!r}\n{plain(''.join(transcript))}"
            ) from None
        text = plain(str(child.before) + str(child.after))
        transcript.append(text)
        return text

    def edit(text: str, bump: int) -> None:
        source.write_text(text)
        os.utime(source, (time.time() + bump,) * 2)

    for line in [
        "%load_ext autoreload",
        "%autoreload 2",
        "%load_ext hot_restart",
        "%hot_restart mod",
        "import mod",
        "mod.main(1)",
    ]:
        expect(IN)
        child.sendline(line)
    assert "Out[6]: 4" in expect(IN)
    edit(HELPER.replace("    return x + 1\n", "\n    return x + 1 / 0\n"), 10)  # the bug
    child.sendline("mod.main(1)")
    stop = expect(PROMPT)
    assert "mod.helper raised ZeroDivisionError" in stop
    assert "mod.py(3)helper()" in stop
    edit(HELPER.replace("    return x + 1\n", "\n    return x + 10\n"), 20)  # the fix
    child.sendline("c")
    after = expect(IN)
    assert "reloaded helper" in after
    assert "Out[7]: 22" in after
    # A second round, in a method this time: autoreload swaps again, and so do we.
    fixed = HELPER.replace("    return x + 1\n", "\n    return x + 10\n")
    edit(fixed.replace("        return 1\n", "\n\n        return 1 / 0\n"), 30)
    child.sendline("mod.Box().size()")
    stop = expect(PROMPT)
    assert "mod.Box.size raised ZeroDivisionError" in stop
    assert "mod.py(10)size()" in stop
    edit(fixed.replace("        return 1\n", "\n\n        return 5\n"), 40)
    child.sendline("c")
    after = expect(IN)
    assert "Out[8]: 5" in after
    assert "(Pdb)" not in after and "ipdb>" not in after  # one prompt per crash: no loop
    child.sendline("exit")
    expect(pexpect.EOF)


# -- cell-defined functions ---------------------------------------------------


def test_wrap_of_a_cell_function_says_what_can_be_done(tmp_path: Path) -> None:
    out = run_shell(
        tmp_path,
        [
            "import hot_restart, warnings\nwarnings.simplefilter('always')",
            "def f(x):\n    return 1 / x\nhot_restart.wrap(f)\n",
            "@hot_restart.wrap\nclass K:\n    def m(self):\n        pass\n",
            "hot_restart.wrap_module()",
            "from hot_restart.runtime.reload import read_lines\nfrom hot_restart.errors import ReloadException\n"
            "try:\n    read_lines(f.__code__.co_filename)\nexcept ReloadException as e:\n    print('refused:', e)",
        ],
    )
    assert (
        "RuntimeWarning: hot_restart: cannot wrap f: it is defined in cell In [2], whose code "
        "cannot be reloaded from disk; move it to a module and import it" in out
    )
    assert (
        "refused: code defined in cell In [2] cannot be reloaded from disk: `q`, fix the cell "
        "and run it again" in out
    )
    assert "cannot wrap K: it is defined in cell In [3], whose code cannot be reloaded" in out
    assert "cannot wrap __main__: it is defined in cell In [4], whose code cannot be" in out
    assert "no longer exists" not in out and "source is not available" not in out


@pytest.fixture
def kernel(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """A real ipykernel (jupyter_client's KernelManager); yields ``run(code) -> output``."""
    jupyter_client = pytest.importorskip("jupyter_client")
    pytest.importorskip("ipykernel")
    manager = jupyter_client.KernelManager(kernel_name="python3")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)]),
        "HOME": str(tmp_path),
        "IPYTHONDIR": str(tmp_path / ".ipython"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    manager.kernel_spec.argv[0] = sys.executable  # this interpreter, not the machine's python3
    manager.start_kernel(env=env, cwd=str(tmp_path))
    client = manager.client()

    def run(code: str) -> str:
        msg_id = client.execute(code)
        output = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            msg = client.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                output += msg["content"]["text"]
            elif msg["msg_type"] == "error":
                output += "\n".join(msg["content"]["traceback"])
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return output
        raise AssertionError(f"the kernel did not finish {code!r}; so far: {output}")

    try:
        client.start_channels()
        client.wait_for_ready(timeout=30)
        yield run
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_cell_function_in_a_real_kernel(kernel: Callable[[str], str]) -> None:
    """ipykernel names cells like /tmp/ipykernel_NNN/NNNN.py, a file never written."""
    output = kernel(
        "import hot_restart, warnings\nwarnings.simplefilter('always')\n"
        "def f(x):\n    return 1 / x\nhot_restart.wrap(f)\n"
        "from hot_restart.runtime.reload import read_lines\n"
        "try:\n    read_lines(f.__code__.co_filename)\nexcept Exception as e:\n"
        "    print('refused:', e)\nprint('file:', f.__code__.co_filename)\n"
    )
    assert "ipykernel_" in output  # the kernel's cell naming, as the test means it
    assert "cannot wrap f: it is defined in cell In [1], whose code cannot be reloaded" in output
    assert "refused: code defined in cell In [1] cannot be reloaded from disk" in output
    assert "no longer exists" not in output


def test_autoreload_in_a_real_kernel(kernel: Callable[[str], str], tmp_path: Path) -> None:
    """The notebook's steps: the extension and autoreload, an edit, the new code instrumented."""
    source = tmp_path / "mod.py"
    source.write_text(HELPER)
    for cell in [
        "%load_ext autoreload",
        "%autoreload 2",
        "%load_ext hot_restart",
        "%hot_restart mod",
        "import mod",
    ]:
        assert kernel(cell) == ""
    # A cell between import and edit: autoreload records the source then, and can
    # patch functions in place (its deduper) rather than re-import the module.
    assert kernel("print(mod.main(1))") == "4\n"
    source.write_text(HELPER.replace("    return x + 1\n", "\n    return x + 2\n"))
    os.utime(source, (time.time() + 10,) * 2)
    output = kernel(
        "from hot_restart.transform import is_instrumented\n"
        "c = mod.helper.__code__; print(mod.main(1), is_instrumented(c), c.co_firstlineno)"
    )
    assert output == "6 True 1\n"
