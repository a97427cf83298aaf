"""Remote attach on dask distributed (#12 item 5), end to end on a real
``LocalCluster`` with worker processes.

What a user does: a ``WorkerPlugin`` calls ``hot_restart.install(...,
remote=...)`` in every worker (also in workers that join or restart later);
a task crashes in a worker, which prints the attach line on its stderr (the
driver's, which the workers inherit); the user attaches, fixes the file, ``c``;
the task returns the right result, the other tasks' results are kept (each
task logs its calls: only the crashed one ran twice) and the computation
finishes.  Only 127.0.0.1; the whole process group is killed at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from remote_session import Client, Crashed, environment

pytest.importorskip("distributed")

BUGGY = """\
import os


def inc(x):
    with open(os.environ["CALLS_LOG"], "a") as log:
        log.write(f"{x}\\n")
    return x + 1 + 0 // (x - 2)  # the bug: x == 2
"""
FIXED = BUGGY.replace(" + 0 // (x - 2)  # the bug: x == 2", "")
DRIVER = """\
import hot_restart
from distributed import Client, LocalCluster
from distributed.diagnostics.plugin import WorkerPlugin


class HotRestart(WorkerPlugin):
    def setup(self, worker):
        hot_restart.install(["tasks"], remote="127.0.0.1:0")


if __name__ == "__main__":
    import tasks  # here: spawned workers run the top level, before the plugin's install()

    cluster = LocalCluster(
        processes=True,
        n_workers=2,
        threads_per_worker=1,
        dashboard_address=None,
        host="127.0.0.1",
    )
    try:
        with Client(cluster) as client:
            client.register_plugin(HotRestart())
            futures = client.map(tasks.inc, range(6))
            print("results", client.gather(futures), flush=True)
    finally:
        cluster.close()
"""
# The other way: the environment, for every process (what `dask worker` on
# other machines needs too).  hot_restart.activate runs from a .pth
# (`python -m hot_restart --install-pth`) or, as here, a sitecustomize.py.
ENV_DRIVER = """\
from distributed import Client, LocalCluster

import tasks

if __name__ == "__main__":
    cluster = LocalCluster(
        processes=True,
        n_workers=2,
        threads_per_worker=1,
        dashboard_address=None,
        host="127.0.0.1",
    )
    try:
        with Client(cluster) as client:
            futures = client.map(tasks.inc, range(6))
            print("results", client.gather(futures), flush=True)
    finally:
        cluster.close()
"""
WAIT = 120  # starting a cluster on a busy two-core machine takes a while


@pytest.fixture
def started() -> Iterator[list[Crashed | Client]]:
    things: list[Crashed | Client] = []
    try:
        yield things
    finally:
        for thing in things:
            thing.close()


@pytest.mark.parametrize("setup", ["plugin", "environment"])
def test_dask_worker_crash_attach_fix_continue(
    tmp_path: Path, started: list[Crashed | Client], setup: str
) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "tasks.py").write_text(BUGGY)
    (app / "driver.py").write_text(DRIVER if setup == "plugin" else ENV_DRIVER)
    calls = tmp_path / "calls.log"
    path = [environment(tmp_path)["PYTHONPATH"], str(app)]
    extra = {}
    if setup == "environment":
        site = tmp_path / "site"
        site.mkdir()
        (site / "sitecustomize.py").write_text("import hot_restart.activate\n")
        path.append(str(site))
        extra = {"HOT_RESTART_PATTERNS": "tasks", "HOT_RESTART_REMOTE": "0"}
    env = environment(
        tmp_path,
        CALLS_LOG=str(calls),
        HOT_RESTART_REMOTE_TIMEOUT="120",
        PYTHONPATH=os.pathsep.join(path),
        **extra,
    )
    driver = Crashed(["driver.py"], app, env)
    started.append(driver)
    line = driver.wait_line(r"hot_restart: pid (\d+) \((.*)\) stopped at tasks\.inc: ", WAIT)
    worker_pid = int(line[1])
    assert worker_pid != driver.proc.pid and "Worker" in line[2]
    host, port, token = driver.attach_line()
    client = Client([f"{host}:{port}", "--token", token], env, app)
    started.append(client)
    client.expect(f"attached to pid {worker_pid}", WAIT)
    assert "tasks.inc raised ZeroDivisionError" in client.prompt()
    client.send("p x")
    assert "2" in client.prompt()
    (app / "tasks.py").write_text(FIXED)
    client.send("c")
    assert "reloaded inc" in client.expect("the session ended")
    assert client.finish() == 0
    status, out, err = driver.finish(WAIT)
    assert status == 0, err
    # The crashed task's fixed result; the others' results, computed once, kept.
    assert "results [1, 2, 3, 4, 5, 6]\n" in out
    logged = sorted(calls.read_text().split())
    assert logged == ["0", "1", "2", "2", "3", "4", "5"]
    assert not os.listdir(tmp_path / "run" / "hot_restart")


def test_cloudpickle_takes_code_using_hot_restart() -> None:
    """A function or plugin that names ``hot_restart`` pickles for the workers."""
    import cloudpickle

    import hot_restart

    def setup() -> object:
        return hot_restart

    assert cloudpickle.loads(cloudpickle.dumps(setup))() is hot_restart
