"""Remote attach (#12 item 4): a crash in a process with no terminal is served
over TCP to ``python -m hot_restart attach``, typed in a real pty.

Every process is real: the crashed program runs without a terminal in its
own session, the client in a pseudo-terminal; all on 127.0.0.1, every wait
bounded, everything killed at the end.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from remote_session import Client, Crashed, environment
from scenario import error_line

BUGGY = "def inc(x):\n    return 1 / (x - 2) + x\n"
FIXED = "def inc(x):\n    return x + 1\n"
PROG = """\
import tasks

results = [tasks.inc(x) for x in (1, 2, 3)]
print("results", results)
"""
API_PROG = """\
import hot_restart

hot_restart.install(["tasks"], remote="127.0.0.1:0")
import tasks

print("result", tasks.inc(2))
"""


class Harness:
    def __init__(self, tmp_path: Path) -> None:
        self.dir = tmp_path / "app"
        self.dir.mkdir()
        (self.dir / "tasks.py").write_text(BUGGY)
        (self.dir / "prog.py").write_text(PROG)
        self.tmp_path = tmp_path
        self.started: list[Crashed | Client] = []

    def env(self, **extra: str) -> dict[str, str]:
        return environment(self.tmp_path, **extra)

    def crash(self, args: list[str] | None = None, **extra: str) -> Crashed:
        extra.setdefault("HOT_RESTART_REMOTE", "0")
        extra.setdefault("HOT_RESTART_REMOTE_TIMEOUT", "60")
        crashed = Crashed(args or ["-m", "hot_restart", "prog.py"], self.dir, self.env(**extra))
        self.started.append(crashed)
        return crashed

    def client(self, *args: str) -> Client:
        client = Client(list(args), self.env(), self.dir)
        self.started.append(client)
        return client

    def fix(self) -> None:
        (self.dir / "tasks.py").write_text(FIXED)

    def close(self) -> None:
        for thing in self.started:
            thing.close()


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    h = Harness(tmp_path)
    try:
        yield h
    finally:
        h.close()


def test_attach_fix_continue(harness: Harness) -> None:
    """The attach line, the client at the crash, a fix and `c`: the program finishes."""
    crashed = harness.crash()
    line = crashed.wait_line(r"hot_restart: pid (\d+) \((prog\.py)\) stopped at tasks\.inc: ")
    assert int(line[1]) == crashed.proc.pid
    host, port, token = crashed.attach_line()
    assert host == "127.0.0.1"
    client = harness.client(f"{host}:{port}", "--token", token)
    client.expect(f"attached to pid {crashed.proc.pid}")
    assert "tasks.inc raised ZeroDivisionError" in client.prompt()
    client.send("p x")
    assert "2" in client.prompt()
    client.child.sendintr()  # Ctrl-C at the prompt: as at a local one
    assert "--KeyboardInterrupt--" in client.prompt()
    client.send("p print('spinning') or sum(1 for _ in iter(int, 1))")  # never ends
    client.expect("\r\nspinning")  # its output, not the echo of the command
    client.child.sendintr()  # Ctrl-C interrupts the running command, as locally
    assert "KeyboardInterrupt" in client.prompt()
    client.send("p x")  # the session goes on
    assert "2" in client.prompt()
    harness.fix()
    client.send("c")
    assert "reloaded inc" in client.expect(
        f"the session ended; pid {crashed.proc.pid} re-runs the function"
    )
    assert client.finish() == 0
    status, out, _ = crashed.finish()
    assert (status, out) == (0, "results [0.0, 3, 4]\n")


def test_list_and_token_from_file(harness: Harness) -> None:
    """`attach` alone lists this user's sessions; the token comes from the private file."""
    (harness.dir / "api.py").write_text(API_PROG)
    crashed = harness.crash(["api.py"], HOT_RESTART_REMOTE="")
    host, port, token = crashed.attach_line()
    folder = harness.tmp_path / "run" / "hot_restart"
    files = list(folder.iterdir())
    assert [f.name for f in files] == [f"{crashed.proc.pid}-{port}.json"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    listing = harness.client()
    assert listing.finish() == 0
    assert f"pid {crashed.proc.pid} (api.py) at tasks.inc" in listing.output
    assert f"python -m hot_restart attach {host}:{port}" in listing.output
    assert token not in listing.output
    client = harness.client(str(crashed.proc.pid))  # a pid from the list; token from the file
    client.prompt()
    client.child.sendeof()  # Ctrl-D: as at a local prompt, let it go
    client.expect("lets the exception propagate")
    assert client.finish() == 0
    status, _, err = crashed.finish()
    assert status == 1 and error_line("1 / 0") in err
    assert list(folder.iterdir()) == []  # removed when the session ended


def test_wrong_token_then_right(harness: Harness) -> None:
    crashed = harness.crash()
    host, port, token = crashed.attach_line()
    bad = harness.client(f"{host}:{port}", "--token", "0" * 32)
    assert bad.finish() == 2
    assert "wrong token for the session of pid" in bad.output
    assert bad.output.count("\n") == 1
    good = harness.client(f"{host}:{port}", "--token", token)  # the process kept waiting
    good.prompt()
    harness.fix()
    good.send("c")
    assert good.finish() == 0
    assert crashed.finish()[:2] == (0, "results [0.0, 3, 4]\n")


def test_dropped_connection_then_reattach(harness: Harness) -> None:
    crashed = harness.crash()
    host, port, token = crashed.attach_line()
    first = harness.client(f"{host}:{port}", "--token", token)
    first.prompt()
    first.child.kill(9)  # the terminal closed, the network went away
    crashed.wait_line(r"the client of pid \d+ went away; waiting for another")
    second = harness.client(f"{host}:{port}", "--token", token)
    assert "tasks.inc raised ZeroDivisionError" in second.prompt()
    harness.fix()
    second.send("c")
    assert second.finish() == 0
    assert crashed.finish()[:2] == (0, "results [0.0, 3, 4]\n")


def test_two_clients(harness: Harness) -> None:
    crashed = harness.crash()
    host, port, token = crashed.attach_line()
    first = harness.client(f"{host}:{port}", "--token", token)
    first.prompt()
    second = harness.client(f"{host}:{port}", "--token", token)
    assert second.finish() == 2
    assert "another client is attached to the session of pid" in second.output
    first.send("p x")  # the first one is undisturbed
    assert "2" in first.prompt()
    harness.fix()
    first.send("c")
    assert first.finish() == 0
    assert crashed.finish()[0] == 0


def test_port_in_use_takes_the_next(harness: Harness) -> None:
    """A given port is a base: taken, the next free one serves (workers crashing together)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        base = taken.getsockname()[1]
        crashed = harness.crash(HOT_RESTART_REMOTE=str(base))
        host, port, token = crashed.attach_line()
        assert base < port < base + 100
        client = harness.client(f"{host}:{port}", "--token", token)
        client.prompt()
        client.send("q")
        assert client.finish() == 0
    assert crashed.finish()[0] == 1


POOL = """\
import multiprocessing

import tasks

if __name__ == "__main__":
    with multiprocessing.get_context("fork").Pool(2) as pool:
        print("results", pool.map(tasks.inc, [2, 2], chunksize=1))
"""


def test_pool_workers_crashing_together_get_their_own_ports(harness: Harness) -> None:
    """Two workers, one base port: each session has its own port, pid and token."""
    (harness.dir / "pool.py").write_text(POOL)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        base = probe.getsockname()[1]
    crashed = harness.crash(["-m", "hot_restart", "pool.py"], HOT_RESTART_REMOTE=str(base))
    pattern = r"pid (\d+) \(ForkPoolWorker-\d\).*attach (127\.0\.0\.1):(\d+) --token (\w+)"
    sessions = crashed.matches(pattern, 2)
    assert len({m[1] for m in sessions}) == 2 and len({m[3] for m in sessions}) == 2
    assert all(base <= int(m[3]) < base + 100 for m in sessions)
    harness.fix()
    for match in sessions:
        client = harness.client(f"{match[2]}:{match[3]}", "--token", match[4])
        client.expect(f"attached to pid {match[1]}")
        client.prompt()
        client.send("c")
        assert "reloaded inc" in client.expect("the session ended")
        assert client.finish() == 0
    assert crashed.finish()[:2] == (0, "results [3, 3]\n")


def test_nothing_listening(harness: Harness) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed below: nobody listens there
    client = harness.client(f"127.0.0.1:{port}", "--token", "ab")
    assert client.finish() == 1
    assert f"cannot connect to 127.0.0.1:{port} (nothing is listening)" in client.output
    nofile = harness.client(str(port))
    assert nofile.finish() == 2
    assert f"no session file for {port} here; give --token" in nofile.output


def _traceback(stderr: str) -> str:
    return stderr[stderr.index("Traceback (most recent call last):") :]


def test_timeout_propagates_unchanged(harness: Harness) -> None:
    """Nobody attaches: the program ends exactly as python's, after two lines of ours."""
    env = harness.env()
    plain = subprocess.run(
        [sys.executable, "prog.py"],
        cwd=harness.dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    crashed = harness.crash(HOT_RESTART_REMOTE_TIMEOUT="0.5")
    status, out, err = crashed.finish()
    assert (status, out) == (plain.returncode, plain.stdout) == (1, "")
    assert _traceback(err) == _traceback(plain.stderr)
    ours = err[: err.index("Traceback")].splitlines()
    assert len(ours) == 2 and "no client attached to pid" in ours[1]
    assert not list((harness.tmp_path / "run" / "hot_restart").iterdir())


def test_bad_setting_is_one_line(harness: Harness) -> None:
    crashed = harness.crash(HOT_RESTART_REMOTE="nonsense")
    status, _, err = crashed.finish()
    assert status == 1
    first = err.splitlines()[0]
    assert first.startswith("hot_restart: remote='nonsense' is not [HOST:]PORT")
    assert first.endswith("(HOT_RESTART_REMOTE; remote attach is off)")
    assert "Traceback" in err and "attach" not in err.split("\n", 1)[1]


def test_install_rejects_bad_remote() -> None:
    import hot_restart

    with pytest.raises(ValueError, match=r"remote='x:y' is not \[HOST:\]PORT"):
        hot_restart.install(["nothing_matches_this"], remote="x:y")


def test_script_named_attach_still_runs(harness: Harness) -> None:
    (harness.dir / "attach").write_text("import sys\nprint('attach script', sys.argv[1:])\n")
    done = subprocess.run(
        [sys.executable, "-m", "hot_restart", "--", "attach", "x"],
        cwd=harness.dir,
        env=harness.env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (done.returncode, done.stdout) == (0, "attach script ['x']\n")
    listing = subprocess.run(
        [sys.executable, "-m", "hot_restart", "attach"],
        cwd=harness.dir,
        env=harness.env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert listing.stdout == "no hot_restart session is waiting for this user\n"
    assert os.environ.get("HOT_RESTART_REMOTE") is None


def test_listing_drops_files_of_dead_processes(harness: Harness) -> None:
    """A process killed while it waited leaves its file; the listing removes it."""
    crashed = harness.crash()
    crashed.attach_line()
    folder = harness.tmp_path / "run" / "hot_restart"
    assert len(list(folder.iterdir())) == 1
    crashed.close()  # SIGKILL: no chance to clean up
    listing = harness.client()
    assert listing.finish() == 0
    assert "no hot_restart session is waiting for this user" in listing.output
    assert list(folder.iterdir()) == []


def test_session_folder_of_another_mode_is_refused(harness: Harness) -> None:
    """A session folder others can read is not used: one line, and the token is still shown."""
    harness.env()  # makes the private run folder
    folder = harness.tmp_path / "run" / "hot_restart"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    crashed = harness.crash(HOT_RESTART_REMOTE_TIMEOUT="0.5")
    line = crashed.wait_line(r"hot_restart: no session file \((.*)\); give --token to attach")
    assert "is not a folder only this user can use (mode 755)" in line[1]
    crashed.attach_line()
    assert crashed.finish()[0] == 1
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("debugger", ["pudb", "pydevd"])
def test_a_screen_debugger_gives_way_to_pdb_over_a_remote_session(
    harness: Harness, debugger: str
) -> None:
    """pudb draws a screen and pydevd talks to an IDE: neither runs over lines of text."""
    crashed = harness.crash(HOT_RESTART_DEBUGGER=debugger)
    host, port, token = crashed.attach_line()
    client = harness.client(f"{host}:{port}", "--token", token)
    prompt = client.prompt()
    assert f"{debugger} cannot run over a remote session; using pdb" in prompt
    harness.fix()
    client.send("c")
    client.expect(f"the session ended; pid {crashed.proc.pid} re-runs the function")
    assert client.finish() == 0
    status, out, _ = crashed.finish()
    assert (status, out) == (0, "results [0.0, 3, 4]\n")


SPAWN_API_POOL = """\
import multiprocessing

import hot_restart

if __name__ == "__main__":  # the spawn workers do not run this: they inherit it
    hot_restart.install(["tasks"], remote="127.0.0.1:0")
    import tasks

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        print("results", pool.map(tasks.inc, [1, 2], chunksize=1))
"""


def test_spawn_workers_inherit_install_remote(harness: Harness) -> None:
    """install(remote=...) reaches spawn workers too: the worker's own crash is served."""
    (harness.dir / "pool.py").write_text(SPAWN_API_POOL)
    crashed = harness.crash(["pool.py"], HOT_RESTART_REMOTE="")
    match = crashed.wait_line(
        r"pid (\d+) \(SpawnPoolWorker-\d\).*attach (127\.0\.0\.1):(\d+) --token (\w+)"
    )
    assert int(match[1]) != crashed.proc.pid
    harness.fix()
    client = harness.client(f"{match[2]}:{match[3]}", "--token", match[4])
    client.expect(f"attached to pid {match[1]}")
    client.prompt()
    client.send("c")
    assert "reloaded inc" in client.expect("the session ended")
    assert client.finish() == 0
    assert crashed.finish()[:2] == (0, "results [0.0, 3]\n")
