"""Activation through ``site``: the ``.pth`` file and the ``sitecustomize.py`` way.

Every test gets a throwaway virtual environment of the interpreter running
the tests, with hot_restart importable there the way an editable install
makes it (a ``hot_restart.pth`` path line), and runs its python with a
clean environment: no PYTHONPATH but what a test gives.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from scenario import ROOT

from hot_restart.pth import PTH_LINE, PTH_NAME

TIMEOUT = 30  # a python start-up takes well under a second; this only catches hangs

# Reports, as one JSON line, what was in place before the program's first
# line ran, and what got instrumented.
PROGRAM = """\
    import sys

    before = {
        "imported": sorted(m for m in sys.modules if m.split(".")[0] == "hot_restart"),
        # The hook, or the stand-in that installs it at the first matching import.
        "finder": any(type(f).__module__.startswith("hot_restart.") for f in sys.meta_path),
    }
    import json

    import app.mod
    import other

    print(json.dumps({
        **before,
        "mod_at_import": app.mod.INSTRUMENTED_AT_IMPORT,
        "mod": "__hot_restart__" in app.mod.f.__code__.co_names,
        "other": "__hot_restart__" in other.g.__code__.co_names,
    }))
    """

APP = {
    "app/__init__.py": "",
    # Checked by the module itself, while its own code runs.
    "app/mod.py": """\
        def f():
            return 1


        INSTRUMENTED_AT_IMPORT = "__hot_restart__" in f.__code__.co_names
        """,
    "other.py": """\
        def g():
            return 2
        """,
    "prog.py": PROGRAM,
}


class Venv:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.app = root / "app_dir"  # the programs run here
        for name, text in APP.items():
            path = self.app / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(root / "venv")],
            check=True,
            capture_output=True,
            timeout=TIMEOUT,
        )
        self.python = root / "venv" / "bin" / "python"
        purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
        self.site = Path(self.run("-c", purelib).stdout.strip())
        assert self.site.is_dir() and self.site.is_relative_to(root)
        # What an editable install writes; it sorts before hot_restart_activate.pth.
        (self.site / "hot_restart.pth").write_text(f"{ROOT}\n")
        self.pth = self.site / PTH_NAME

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.python), *args],
            cwd=self.app,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env={
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": str(self.root),
                "PYTHONDONTWRITEBYTECODE": "1",
                **env,
            },
            timeout=TIMEOUT,
        )

    def hot_restart(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return self.run("-m", "hot_restart", *args, **env)

    def program(self, **env: str) -> tuple[dict[str, object], str]:
        """Run the program; its report and its stderr."""
        result = self.run("prog.py", **env)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout), result.stderr


@pytest.fixture
def venv(tmp_path: Path) -> Venv:
    return Venv(tmp_path)


@pytest.fixture
def installed(venv: Venv) -> Venv:
    result = venv.hot_restart("--install-pth")
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == (
        f"hot_restart: wrote {venv.pth}; set HOT_RESTART_PATTERNS=myapp.* to activate\n",
        "",
    )
    return venv


def test_install_status_uninstall(venv):
    status = venv.hot_restart("--status")
    assert status.returncode == 0
    assert f"activation file {venv.pth} is not installed" in status.stdout

    installed = venv.hot_restart("--install-pth")
    assert installed.returncode == 0, installed.stderr
    assert venv.pth.read_text() == PTH_LINE
    status = venv.hot_restart("--status", HOT_RESTART_PATTERNS="app.*")
    assert status.returncode == 0
    assert f"activation file {venv.pth} is installed" in status.stdout
    assert "HOT_RESTART_PATTERNS='app.*'" in status.stdout

    removed = venv.hot_restart("--uninstall-pth")
    assert (removed.returncode, removed.stdout) == (0, f"hot_restart: removed {venv.pth}\n")
    assert not venv.pth.exists()
    assert "is not installed" in venv.hot_restart("--status").stdout
    again = venv.hot_restart("--uninstall-pth")
    assert (again.returncode, again.stdout) == (0, f"hot_restart: {venv.pth} was not installed\n")
    # Gone for real: the variable no longer does anything.
    report, _ = venv.program(HOT_RESTART_PATTERNS="app.*")
    assert report["mod"] is False


def test_patterns_instrument_before_the_program_runs(installed):
    report, stderr = installed.program(HOT_RESTART_PATTERNS="app.*")
    assert stderr == ""
    assert report["finder"] is True
    assert report["mod_at_import"] is True
    assert report["mod"] is True
    assert report["other"] is False


def test_start_up_imports_only_the_activation_and_the_patterns(installed):
    # The hook, its finder and its loader come with the first matching import.
    report, stderr = installed.program(HOT_RESTART_PATTERNS="app.*")
    assert stderr == ""
    assert set(report["imported"]) <= {
        "hot_restart",
        "hot_restart.errors",  # hot_restart/__init__.py's own
        "hot_restart.activate",
        "hot_restart.patterns",
    }
    assert report["finder"] is True
    assert (report["mod_at_import"], report["mod"], report["other"]) == (True, True, False)


def _run_program(venv: Venv, source: str, **env: str) -> subprocess.CompletedProcess[str]:
    (venv.app / "custom_prog.py").write_text(textwrap.dedent(source))
    return venv.run("custom_prog.py", **env)


def test_uninstall_before_the_first_matching_import_leaves_it_plain(installed):
    result = _run_program(
        installed,
        """\
        import hot_restart
        hot_restart.uninstall()
        import sys
        assert not any(type(f).__module__.startswith("hot_restart.") for f in sys.meta_path)
        import app.mod
        print(app.mod.INSTRUMENTED_AT_IMPORT)
        """,
        HOT_RESTART_PATTERNS="app.*",
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "False\n", "")


def test_install_after_activation_serves_both_pattern_sets(installed):
    result = _run_program(
        installed,
        """\
        import sys
        import hot_restart
        hot_restart.install(["other"])
        ours = [f for f in sys.meta_path if type(f).__module__.startswith("hot_restart.")]
        import app.mod, other
        print(len(ours), app.mod.INSTRUMENTED_AT_IMPORT, "__hot_restart__" in other.g.__code__.co_names)
        """,
        HOT_RESTART_PATTERNS="app.*",
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "1 True True\n", "")


def test_a_module_imported_at_start_up_is_reported_at_start_up(installed):
    # site imported it before the .pth ran: install() names it, as ever.
    result = _run_program(installed, "pass\n", HOT_RESTART_PATTERNS="os")
    assert result.returncode == 0
    assert "os" in result.stderr and "RuntimeWarning" in result.stderr, result.stderr


def test_several_patterns_with_spaces_after_commas(installed):
    report, stderr = installed.program(HOT_RESTART_PATTERNS="app.*, other")
    assert stderr == ""
    assert (report["mod"], report["other"]) == (True, True)


@pytest.mark.parametrize("value", [None, ""])
def test_without_patterns_nothing_of_hot_restart_is_imported(installed, value):
    env = {} if value is None else {"HOT_RESTART_PATTERNS": value}
    report, stderr = installed.program(**env)
    assert stderr == ""
    assert report["imported"] == []
    assert report["finder"] is False
    assert (report["mod"], report["other"]) == (False, False)


@pytest.mark.parametrize("value", [" ", ",", " , ", "a b", "app.*,a b", "app.*, "])
def test_invalid_patterns_print_one_line_and_the_program_runs(installed, value):
    report, stderr = installed.program(HOT_RESTART_PATTERNS=value)
    if value == "app.*, ":
        # An empty item after a comma is tolerated, like a trailing comma in a list.
        assert (stderr, report["mod"]) == ("", True)
        return
    assert len(stderr.splitlines()) == 1, stderr
    assert stderr.startswith("hot_restart: ")
    assert "HOT_RESTART_PATTERNS" in stderr
    assert "not active" in stderr
    # Nothing half-installed: not even the valid pattern of a bad list.
    assert report["finder"] is False
    assert report["mod"] is False


def _unwritable(site: Path) -> Path:
    """Make ``site`` refuse new files; return the folder that refuses them.

    ``chmod 555`` does it for a normal user.  Root ignores permissions, so
    as root the folder is replaced by a link to /sys, where nobody can create
    a file; if even that can be written here, the test is skipped.
    """
    site.chmod(0o555)
    if not _can_create_in(site):
        return site
    site.chmod(0o755)
    target = Path("/sys")
    if not target.is_dir() or _can_create_in(target):
        pytest.skip(
            "running as root, which ignores folder permissions, and /sys is not "
            "there to stand in for a read-only site-packages"
        )
    for entry in site.iterdir():
        entry.unlink()
    site.rmdir()
    site.symlink_to(target)
    return site


def _can_create_in(folder: Path) -> bool:
    probe = folder / "hot_restart_probe.tmp"
    try:
        probe.touch()
    except OSError:
        return False
    probe.unlink()
    return True


def test_read_only_site_packages_is_a_clear_error(venv):
    site = _unwritable(venv.site)
    try:
        # hot_restart comes from PYTHONPATH: site-packages may be gone (as root).
        result = venv.hot_restart("--install-pth", PYTHONPATH=str(ROOT))
    finally:
        if not site.is_symlink():
            site.chmod(0o755)
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"hot_restart: cannot write in {venv.site} (")
    assert "virtual environment" in result.stderr
    assert not (venv.site / PTH_NAME).exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_uninstall_from_read_only_site_packages_is_a_clear_error(installed):
    installed.site.chmod(0o555)
    try:
        result = installed.hot_restart("--uninstall-pth")
    finally:
        installed.site.chmod(0o755)
    assert result.returncode == 1
    assert result.stderr.startswith(f"hot_restart: cannot write in {installed.site} (")
    assert installed.pth.exists()


@pytest.fixture
def sitecustomize(venv: Venv) -> tuple[Venv, str]:
    """The manual way: ``import hot_restart.activate`` in a sitecustomize on PYTHONPATH."""
    folder = venv.root / "custom"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text("import hot_restart.activate\n")
    assert not venv.pth.exists()
    return venv, str(folder)


def test_sitecustomize_activates_from_the_variable(sitecustomize):
    venv, path = sitecustomize
    report, stderr = venv.program(PYTHONPATH=path, HOT_RESTART_PATTERNS="app.*")
    assert stderr == ""
    assert report["finder"] is True
    assert report["mod_at_import"] is True
    assert (report["mod"], report["other"]) == (True, False)


def test_sitecustomize_without_the_variable_installs_nothing(sitecustomize):
    venv, path = sitecustomize
    report, stderr = venv.program(PYTHONPATH=path)
    assert stderr == ""
    # The package and its activate module, not the hook.
    assert "hot_restart.activate" in report["imported"]
    assert "hot_restart.hook" not in report["imported"]
    assert report["finder"] is False
    assert report["mod"] is False


def test_sitecustomize_with_invalid_patterns_prints_one_line(sitecustomize):
    venv, path = sitecustomize
    report, stderr = venv.program(PYTHONPATH=path, HOT_RESTART_PATTERNS="a b")
    assert len(stderr.splitlines()) == 1, stderr
    assert "HOT_RESTART_PATTERNS" in stderr
    assert report["mod"] is False


# -- pytest in a project with filterwarnings = error ---------------------------


def _as_if_installed_from_a_wheel(venv: Venv) -> None:
    """What pytest sees of a regular (non-editable) install, plus pytest itself.

    pytest marks the packages of ``pytest11`` distributions for assertion
    rewriting from their RECORD, and warns about those already imported:
    the .pth activation imports hot_restart before pytest starts.
    """
    import _pytest
    import pluggy

    dist = venv.site / "hot_restart-0.3.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: hot_restart\nVersion: 0.3.0\n")
    (dist / "entry_points.txt").write_text("[pytest11]\nhot_restart = hot_restart.pytest_plugin\n")
    files = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "hot_restart").rglob("*.py"))
    (dist / "RECORD").write_text("".join(f"{f},,\n" for f in files))
    # pytest and its dependencies, from the interpreter running these tests.
    dirs = {str(Path(m.__file__).resolve().parent.parent) for m in (_pytest, pluggy)}
    (venv.site / "zz_pytest.pth").write_text("".join(f"{d}\n" for d in sorted(dirs)))


PROJECT = {
    "pytest.ini": "[pytest]\nfilterwarnings = error\n",
    "calc.py": "def add(a, b):\n    return a + b\n",
    "test_calc.py": """\
        import calc
        from hot_restart.transform import is_instrumented

        def test_add():
            assert calc.add(1, 2) == 3
            assert is_instrumented(calc.add.__code__)
        """,
}


def test_pytest_with_filterwarnings_error_collects_and_runs(installed):
    _as_if_installed_from_a_wheel(installed)
    for name, text in PROJECT.items():
        (installed.app / name).write_text(textwrap.dedent(text))
    result = installed.run(
        "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_calc.py", HOT_RESTART_PATTERNS="calc"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert "warning" not in result.stdout.lower()
    # The plugin, registered by the entry point, still loads and works.
    flag = installed.run(
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--hot-restart",
        "test_calc.py",
        HOT_RESTART_PATTERNS="calc",
    )
    assert flag.returncode == 0, flag.stdout + flag.stderr
