"""Fetch, unpack, set up and run a third-party suite, plain or instrumented.

Everything lives under ``.cache/fidelity/`` in the project: the sdists
(``pip download --no-binary :all: --no-deps name==version``), their unpacked
trees, one venv per Python version holding pytest and the suites' pinned
test dependencies (never the packages under test: those are imported from
the unpacked sdist via ``PYTHONPATH``), and ``hr/``, which holds only a link
to this checkout's ``hot_restart`` so the plain runs have the same
``sys.path`` without hot_restart's pytest plugin being registered.

A run is one child ``python -m pytest`` (plain) or ``python -m hot_restart
-p 'pkg.*' -m pytest`` (instrumented), without a terminal, with a timeout,
writing JUnit XML and the probe's JSON (see ``probe/fidelity_probe.py``).
The ``prompt`` run is the instrumented one where a prompt is possible:
``HOT_RESTART_FORCE_PROMPT=1``, stdin ``/dev/null`` (a prompt reads EOF and
lets the exception go on, so outcomes stay comparable) and every test's
captured output kept in the JUnit XML (``junit_logging=all``), where the
stop banners (``> hot_restart: ... raised ...``) are looked for.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suites import PYTEST, SUITES, Suite

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "fidelity"
PROBE_DIR = Path(__file__).resolve().parent / "probe"
SETUP_TIMEOUT = 600  # seconds for a download or a venv install (network)
RUN_TIMEOUT = 300  # seconds for one run of one suite
RESULTS: list[str] = []  # summary lines, printed by conftest.py at the end
MODES = ("plain", "cold", "warm", "prompt")
# The first line of the runtime's stop banner (hot_restart.runtime.session._banner).
BANNER = re.compile(r"> hot_restart: \S+ raised .*")


class HarnessError(Exception):
    """Setting a suite up failed (not a difference in outcomes)."""


def _run(cmd: list[str], timeout: float, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            **kwargs,
        )
    except subprocess.TimeoutExpired:
        raise HarnessError(f"timed out after {timeout} s: {' '.join(cmd)}") from None
    if proc.returncode != 0:
        raise HarnessError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


def venv() -> Path:
    """The python of this interpreter version's venv with pytest and every suite's deps."""
    deps = sorted({PYTEST, *(d for s in SUITES for d in s.deps)})
    tag = hashlib.sha256("\n".join(deps).encode()).hexdigest()[:10]
    where = CACHE / f"venv-{sys.version_info[0]}.{sys.version_info[1]}-{tag}"
    python = where / "bin" / "python"
    if (where / "ready").exists():
        return python
    shutil.rmtree(where, ignore_errors=True)
    _run([sys.executable, "-m", "venv", str(where)], SETUP_TIMEOUT)
    _run([str(python), "-m", "pip", "install", "-q", *deps], SETUP_TIMEOUT)
    (where / "ready").write_text("\n".join(deps) + "\n")
    return python


def source(suite: Suite, python: Path) -> Path:
    """The unpacked sdist of ``suite`` (downloaded once into the cache)."""
    tree = CACHE / "src" / suite.dirname
    if (tree / ".fidelity-ready").exists():
        return tree
    sdists = CACHE / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    wanted = re.compile(rf"{re.escape(suite.dirname)}\.(tar\.gz|zip)", re.IGNORECASE)
    found = [p for p in sdists.iterdir() if wanted.fullmatch(p.name)]
    if not found:
        _run(
            [str(python), "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps",
             "-d", str(sdists), f"{suite.name}=={suite.version}"],
            SETUP_TIMEOUT,
        )  # fmt: skip
        found = [p for p in sdists.iterdir() if wanted.fullmatch(p.name)]
    if not found:
        raise HarnessError(f"pip download left no sdist named {suite.dirname}.tar.gz in {sdists}")
    shutil.rmtree(tree, ignore_errors=True)
    tree.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(found[0]) as tar:
        top = {m.name.split("/")[0] for m in tar.getmembers()}
        if len(top) != 1:
            raise HarnessError(f"{found[0].name} does not unpack into one folder: {top}")
        if sys.version_info >= (3, 12):
            tar.extractall(tree.parent, filter="data")
        else:
            tar.extractall(tree.parent)  # a pinned sdist of a well-known project
    unpacked = tree.parent / top.pop()
    if unpacked != tree:
        unpacked.rename(tree)
    (tree / ".fidelity-ready").write_text("")
    return tree


def hot_restart_dir() -> Path:
    """A folder holding only a link to this checkout's ``hot_restart`` package."""
    where = CACHE / "hr"
    link = where / "hot_restart"
    if not link.is_symlink() or link.resolve() != ROOT / "hot_restart":
        where.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(ROOT / "hot_restart", target_is_directory=True)
    return where


def pytest_config(tree: Path) -> Path:
    """The suite's own pytest configuration file, or an empty one made for it.

    pytest looks for its configuration upwards from the tests: without one in
    the sdist it would find this project's ``pyproject.toml`` and apply our
    settings (``pythonpath``, ``testpaths``) to someone else's suite.
    """
    sections = {
        "pytest.ini": "[pytest]",
        "pyproject.toml": "[tool.pytest.ini_options]",
        "tox.ini": "[pytest]",
        "setup.cfg": "[tool:pytest]",
    }
    for name, section in sections.items():
        path = tree / name
        if path.is_file() and (name == "pytest.ini" or section in path.read_text()):
            return path
    empty = tree / ".fidelity-pytest.ini"
    empty.write_text("[pytest]\n")
    return empty


def instrumented_pycs(tree: Path) -> dict[Path, bytes]:
    """hot_restart's cached bytecode under ``tree``: each file's header and code.

    Not its source stamp: a file the cold run cached within 2 s of its
    source's last change is re-stamped by a later import once that window
    has passed (see hot_restart.cache), which rewrites the file, not its code.
    """
    from hot_restart.cache import _HEADER_SIZE, _PAYLOAD_AT

    found: dict[Path, bytes] = {}
    for p in tree.rglob("__pycache__/*.hot_restart-*.pyc"):
        data = p.read_bytes()
        found[p] = data[:_HEADER_SIZE] + data[_PAYLOAD_AT:]
    return found


@dataclass
class Run:
    mode: str  # one of MODES
    outcomes: dict[str, tuple[str, ...]]  # test id -> outcome of each report (call, teardown)
    banners: list[tuple[str, str]]  # (test id, or "output" outside any test's, banner line)
    warnings: str  # pytest's "warnings summary" section, as printed
    probe: dict[str, Any]
    seconds: float
    returncode: int
    tail: str  # the end of the output, for failure messages

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for results in self.outcomes.values():
            for outcome in results:
                kind = outcome.split(":")[0]
                counts[kind] = counts.get(kind, 0) + 1
        return counts


def run_dir(suite: Suite, mode: str) -> Path:
    """Where a run of ``suite`` leaves its JUnit XML and the probe's JSON."""
    return CACHE / "runs" / f"{suite.dirname}-py{sys.version_info[0]}{sys.version_info[1]}-{mode}"


def run_suite(suite: Suite, python: Path, tree: Path, mode: str) -> Run:
    """One run of ``suite``: ``plain``, or instrumented (``cold``: cache emptied first;
    ``warm``; ``prompt``: from the cache too, a prompt possible)."""
    assert mode in MODES, mode
    out = run_dir(suite, mode)
    out.mkdir(parents=True, exist_ok=True)
    xml, probe = out / "junit.xml", out / "probe.json"
    for stale in (xml, probe):
        stale.unlink(missing_ok=True)
    if mode == "cold":
        for pyc in instrumented_pycs(tree):
            pyc.unlink()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "HOT_RESTART", "PYTEST"))
    }
    env.update(
        PYTHONPATH=os.pathsep.join(
            [str(tree / suite.path), str(PROBE_DIR), str(hot_restart_dir())]
        ),
        PYTHONHASHSEED="0",
        FIDELITY_PROBE_OUT=str(probe),
        FIDELITY_PACKAGE=suite.package,
        # The suite's own subprocesses run plain, as under plain python: with
        # children inheriting the runner's patterns (the default), an
        # instrumented child imports hot_restart's handler, which click's
        # test_light_imports (it lists what click's modules import) sees.
        HOT_RESTART_CHILDREN="0",
    )
    if mode == "prompt":
        env["HOT_RESTART_FORCE_PROMPT"] = "1"
    env.pop("VIRTUAL_ENV", None)
    pytest = [
        "-m", "pytest", *suite.tests, *suite.pytest_args, "-p", "fidelity_probe",
        "-p", "no:cacheprovider", "-c", str(pytest_config(tree)), f"--rootdir={tree}",
        f"--junitxml={xml}", "-q", "-o", "console_output_style=classic",
    ]  # fmt: skip
    if mode == "prompt":
        pytest += ["-o", "junit_logging=all"]  # captured output of passing tests too
    hook = []
    if mode != "plain":
        hook = ["-m", "hot_restart", *(a for p in suite.patterns for a in ("-p", p))]
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [str(python), *hook, *pytest],
            cwd=tree,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise HarnessError(f"{suite.name} ({mode}) timed out after {RUN_TIMEOUT} s") from None
    seconds = time.perf_counter() - start
    tail = (proc.stdout[-2500:] + proc.stderr[-2500:]).strip()
    if not xml.exists():
        raise HarnessError(
            f"{suite.name} ({mode}) wrote no JUnit XML (exit {proc.returncode}):\n{tail}"
        )
    return Run(
        mode,
        parse_junit(xml),
        banners(xml, proc.stdout + proc.stderr),
        warnings_summary(proc.stdout),
        json.loads(probe.read_text()) if probe.exists() else {},
        seconds,
        proc.returncode,
        tail,
    )


def parse_junit(xml: Path) -> dict[str, tuple[str, ...]]:
    """Test id -> outcomes (``passed``, ``failed``, ``error``, ``skipped: reason``,
    ``xfailed: reason``)."""
    outcomes: dict[str, list[str]] = {}
    for case in ET.parse(xml).getroot().iter("testcase"):
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed" if child.tag == "failure" else "error"
            elif child.tag == "skipped" and child.get("type") == "pytest.xfail":
                outcome = f"xfailed: {child.get('message', '')}"  # failed, as expected
            elif child.tag == "skipped":
                outcome = f"skipped: {child.get('message', '')}"
        outcomes.setdefault(test_id, []).append(outcome)
    return {k: tuple(v) for k, v in outcomes.items()}


def banners(xml: Path, output: str) -> list[tuple[str, str]]:
    """Stop banners in each test's report and captured output, then in the rest of ``output``.

    A banner the run's output shows only inside a failure report that the
    XML holds too is not repeated as ``output``.
    """
    found: list[tuple[str, str]] = []
    for case in ET.parse(xml).getroot().iter("testcase"):
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
        texts = [case.get("message", "")]
        for child in case:
            texts += [child.get("message", ""), child.text or ""]
        for line in sorted({m.group() for t in texts for m in BANNER.finditer(t)}):
            found.append((test_id, line))
    in_tests = {line for _, line in found}
    for line in dict.fromkeys(m.group() for m in BANNER.finditer(output)):
        if line not in in_tests:
            found.append(("output", line))
    return found


def junit_id(nodeid: str) -> str:
    """The test id ``parse_junit`` gives the test pytest calls ``nodeid``."""
    path, *rest = nodeid.split("::")
    if path.endswith(".py"):
        path = path[: -len(".py")]
    *classes, name = [path.replace("/", "."), *rest]
    return f"{'.'.join(classes)}::{name}" if rest else nodeid


def warnings_summary(stdout: str) -> str:
    """The "warnings summary" section of pytest's output ('' if none)."""
    match = re.search(r"^=+ warnings summary =+\n(.*?)^-- Docs:", stdout, re.M | re.S)
    return match.group(1) if match else ""
