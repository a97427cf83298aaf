"""The bytecode cache of instrumented modules: placement, validation, failure modes.

Unit tests call ``hot_restart.cache`` directly; the end-to-end ones import
through the hook in a fresh interpreter and count how often the transform ran.
"""

from __future__ import annotations

import importlib.util
import marshal
import os
import stat
import sys
import textwrap
from pathlib import Path

import pytest
from test_import_hook import run_json, write_tree

from hot_restart import cache
from hot_restart.transform import TRANSFORM_VERSION, instrument_source, is_instrumented

SOURCE = b"def f():\n    return 1\n"


@pytest.fixture
def writable(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test run may have PYTHONDONTWRITEBYTECODE set; these tests need writes."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(sys, "pycache_prefix", None)


@pytest.fixture
def module(tmp_path: Path) -> Path:
    path = tmp_path / "mod.py"
    path.write_bytes(SOURCE)
    return path


# -- where the file goes -------------------------------------------------------


def test_path_sits_beside_the_normal_pyc_with_its_own_tag(writable: None, module: Path) -> None:
    ours = cache.cache_path(str(module))
    normal = importlib.util.cache_from_source(str(module))
    tag = sys.implementation.cache_tag
    assert ours == str(
        module.parent / "__pycache__" / f"mod.{tag}.hot_restart-v{TRANSFORM_VERSION}.pyc"
    )
    assert ours != normal


def test_optimization_level_stays_last(monkeypatch: pytest.MonkeyPatch, module: Path) -> None:
    real = importlib.util.cache_from_source
    monkeypatch.setattr(cache, "cache_from_source", lambda p: real(p, optimization=2))
    tag = sys.implementation.cache_tag
    assert cache.cache_path(str(module)) == str(
        module.parent / "__pycache__" / f"mod.{tag}.{cache.TAG}.opt-2.pyc"
    )


def test_pycache_prefix_is_honoured(monkeypatch: pytest.MonkeyPatch, module: Path) -> None:
    prefix = module.parent / "prefix"
    monkeypatch.setattr(sys, "pycache_prefix", str(prefix))
    path = cache.cache_path(str(module))
    assert path is not None
    assert path.startswith(str(prefix) + os.sep)
    assert path.endswith(f".{cache.TAG}.pyc")


def test_no_cache_tag_means_no_cache(monkeypatch: pytest.MonkeyPatch, module: Path) -> None:
    monkeypatch.setattr(sys.implementation, "cache_tag", None)
    assert cache.cache_path(str(module)) is None


# -- the file itself ---------------------------------------------------------


def _store(module: Path) -> tuple[str, bytes]:
    path = cache.cache_path(str(module))
    assert path is not None
    cache.write(path, SOURCE, instrument_source(SOURCE, str(module)))
    return path, Path(path).read_bytes()


def test_round_trip_is_a_checked_hash_pyc(writable: None, module: Path) -> None:
    path, data = _store(module)
    assert data[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(data[4:8], "little") == 0b11
    assert data[8:16] == importlib.util.source_hash(SOURCE)
    code = cache.read(path, SOURCE, str(module))
    assert code is not None
    assert code.co_filename == str(module)
    assert any(is_instrumented(c) for c in code.co_consts if hasattr(c, "co_names"))
    assert os.listdir(Path(path).parent) == [Path(path).name]  # no temp file left


def test_other_source_or_other_path_is_a_miss(writable: None, module: Path) -> None:
    path, _ = _store(module)
    assert cache.read(path, SOURCE.replace(b"1", b"2"), str(module)) is None
    assert cache.read(path, SOURCE, str(module.parent / "moved.py")) is None
    assert cache.read(path + ".absent", SOURCE, str(module)) is None


def test_every_truncation_is_a_miss(writable: None, module: Path) -> None:
    path, data = _store(module)
    for size in range(len(data)):
        Path(path).write_bytes(data[:size])
        assert cache.read(path, SOURCE, str(module)) is None, size


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda d: b"XXXX" + d[4:],  # another magic number
        lambda d: d[:4] + (0).to_bytes(4, "little") + d[8:],  # timestamp pyc flags
        lambda d: d[:4] + (0b01).to_bytes(4, "little") + d[8:],  # unchecked hash pyc
        lambda d: d[:8] + bytes(8) + d[16:],  # wrong hash
        lambda d: d[:16] + b"\xff" * (len(d) - 16),  # garbage payload
        lambda d: d[:16] + marshal.dumps(("not", "code")),  # valid marshal, not code
    ],
)
def test_corruption_is_a_miss(writable: None, module: Path, corrupt: object) -> None:
    path, data = _store(module)
    Path(path).write_bytes(corrupt(data))  # type: ignore[operator]
    assert cache.read(path, SOURCE, str(module)) is None


def test_dont_write_bytecode_is_honoured(monkeypatch: pytest.MonkeyPatch, module: Path) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    path = cache.cache_path(str(module))
    assert path is not None
    cache.write(path, SOURCE, instrument_source(SOURCE, str(module)))
    assert not (module.parent / "__pycache__").exists()


def test_unwritable_places_are_skipped_silently(writable: None, module: Path) -> None:
    code = instrument_source(SOURCE, str(module))
    (module.parent / "__pycache__").write_text("a file where the folder should be")
    path = cache.cache_path(str(module))
    assert path is not None
    cache.write(path, SOURCE, code)  # no exception
    assert cache.read(path, SOURCE, str(module)) is None


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="needs POSIX permissions that bind"
)
def test_read_only_folder_is_skipped_silently(writable: None, module: Path) -> None:
    code = instrument_source(SOURCE, str(module))
    module.parent.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        path = cache.cache_path(str(module))
        assert path is not None
        cache.write(path, SOURCE, code)
        assert not (module.parent / "__pycache__").exists()
    finally:
        module.parent.chmod(stat.S_IRWXU)


def test_a_stale_temp_file_does_not_block_writing(writable: None, module: Path) -> None:
    import threading

    path = cache.cache_path(str(module))
    assert path is not None
    Path(path).parent.mkdir()
    stale = Path(f"{path}.{os.getpid()}.{threading.get_ident()}.tmp")
    stale.write_bytes(b"left by a crashed run")
    cache.write(path, SOURCE, instrument_source(SOURCE, str(module)))
    assert cache.read(path, SOURCE, str(module)) is not None
    assert not stale.exists()


# -- end to end, through the hook --------------------------------------------

IMPORT = """\
    import json, sys
    import hot_restart.hook as hri
    import hot_restart.transform as hrt
    calls = []
    real = hrt.instrument_source
    hrt.instrument_source = lambda src, path, **kw: calls.append(path) or real(src, path, **kw)
    hri.install("app.*")
    import app.mod
    from hot_restart.transform import is_instrumented
    print(json.dumps({"value": app.mod.f(), "built": len(calls),
                      "instrumented": is_instrumented(app.mod.f.__code__)}))
    """


@pytest.fixture
def app(tmp_path: Path) -> Path:
    write_tree(tmp_path, {"app/__init__.py": "", "app/mod.py": SOURCE.decode()})
    return tmp_path / "app"


def _ours(app: Path, name: str = "mod") -> Path:
    tag = sys.implementation.cache_tag
    return app / "__pycache__" / f"{name}.{tag}.{cache.TAG}.pyc"


def test_cold_import_writes_ours_and_leaves_the_normal_pyc_alone(tmp_path: Path, app: Path) -> None:
    run_json(tmp_path, "import json, app.mod\nprint(json.dumps(app.mod.f()))")  # plain: normal pyc
    normal = Path(importlib.util.cache_from_source(str(app / "mod.py")))
    before = normal.read_bytes(), normal.stat().st_mtime_ns
    assert run_json(tmp_path, IMPORT) == {"value": 1, "built": 2, "instrumented": True}
    assert _ours(app).exists() and _ours(app, "__init__").exists()
    assert (normal.read_bytes(), normal.stat().st_mtime_ns) == before
    assert sorted(p.name for p in (app / "__pycache__").iterdir()) == sorted(
        [
            normal.name,
            _ours(app).name,
            _ours(app, "__init__").name,
            f"__init__.{sys.implementation.cache_tag}.pyc",
        ]
    )


def test_hook_alone_writes_no_normal_pyc(tmp_path: Path, app: Path) -> None:
    run_json(tmp_path, IMPORT)
    assert sorted(p.name for p in (app / "__pycache__").iterdir()) == sorted(
        [_ours(app).name, _ours(app, "__init__").name]
    )


def test_warm_import_uses_the_cache(tmp_path: Path, app: Path) -> None:
    assert run_json(tmp_path, IMPORT)["built"] == 2
    assert run_json(tmp_path, IMPORT) == {"value": 1, "built": 0, "instrumented": True}


def test_edit_within_the_same_second_is_picked_up(tmp_path: Path, app: Path) -> None:
    assert run_json(tmp_path, IMPORT)["value"] == 1
    source = app / "mod.py"
    st = source.stat()
    source.write_bytes(SOURCE.replace(b"1", b"2"))  # same size...
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))  # ...and same mtime
    assert run_json(tmp_path, IMPORT) == {"value": 2, "built": 1, "instrumented": True}


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_damaged_cache_is_ignored_and_rebuilt(tmp_path: Path, app: Path, damage: str) -> None:
    run_json(tmp_path, IMPORT)
    ours = _ours(app)
    good = ours.read_bytes()
    ours.write_bytes(good[: len(good) // 2] if damage == "truncate" else b"\0" * len(good))
    assert run_json(tmp_path, IMPORT) == {"value": 1, "built": 1, "instrumented": True}
    assert ours.read_bytes() == good


def test_unwritable_pycache_still_imports(tmp_path: Path, app: Path) -> None:
    (app / "__pycache__").write_text("not a folder")
    proc_result = run_json(tmp_path, IMPORT)
    assert proc_result == {"value": 1, "built": 2, "instrumented": True}


@pytest.mark.parametrize("how", ["flag", "env"])
def test_dont_write_bytecode_writes_nothing(tmp_path: Path, app: Path, how: str) -> None:
    if how == "flag":
        result = run_json(tmp_path, IMPORT, flags=("-B",))
    else:
        result = run_json(tmp_path, IMPORT, env={"PYTHONDONTWRITEBYTECODE": "1"})
    assert result == {"value": 1, "built": 2, "instrumented": True}
    assert not (app / "__pycache__").exists()


def test_pycache_prefix_is_honoured_end_to_end(tmp_path: Path, app: Path) -> None:
    prefix = tmp_path / "prefix"
    flags = ("-X", f"pycache_prefix={prefix}")
    assert run_json(tmp_path, IMPORT, flags=flags)["built"] == 2
    assert not (app / "__pycache__").exists()
    written = [p for p in prefix.rglob("*.pyc") if cache.TAG in p.name]
    assert sorted(p.name for p in written) == sorted(
        [
            f"mod.{sys.implementation.cache_tag}.{cache.TAG}.pyc",
            f"__init__.{sys.implementation.cache_tag}.{cache.TAG}.pyc",
        ]
    )
    assert run_json(tmp_path, IMPORT, flags=flags)["built"] == 0


def test_optimized_runs_get_their_own_file(tmp_path: Path, app: Path) -> None:
    run_json(tmp_path, IMPORT)
    assert run_json(tmp_path, IMPORT, flags=("-O",))["built"] == 2
    tag = sys.implementation.cache_tag
    assert (app / "__pycache__" / f"mod.{tag}.{cache.TAG}.opt-1.pyc").exists()


def test_new_transform_version_ignores_old_files(tmp_path: Path, app: Path) -> None:
    run_json(tmp_path, IMPORT)
    bumped = "import hot_restart.constants as t\nt.TRANSFORM_VERSION += 1000\n" + textwrap.dedent(
        IMPORT
    )
    assert run_json(tmp_path, bumped)["built"] == 2
    tag = sys.implementation.cache_tag
    assert (app / "__pycache__" / f"mod.{tag}.hot_restart-v{TRANSFORM_VERSION + 1000}.pyc").exists()
    assert _ours(app).exists()
    assert run_json(tmp_path, bumped)["built"] == 0


# -- permissions and planted files, as CPython's own pyc -----------------------


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
@pytest.mark.parametrize("source_mode", [0o600, 0o640, 0o644, 0o400])
def test_cache_file_keeps_the_sources_mode_like_cpythons_pyc(
    tmp_path: Path, app: Path, source_mode: int
) -> None:
    """A 0600 source holding a secret must not get a world-readable cache."""
    (app / "mod.py").chmod(source_mode)
    # CPython's own pyc of the same source, written by a plain import.
    plain = run_json(tmp_path, "import json, app.mod; print(json.dumps(1))")
    assert plain == 1
    normal = Path(importlib.util.cache_from_source(str(app / "mod.py")))
    expected = stat.S_IMODE(normal.stat().st_mode)
    run_json(tmp_path, IMPORT)
    assert stat.S_IMODE(_ours(app).stat().st_mode) == expected
    assert expected & 0o077 == source_mode & 0o077  # group/other bits follow the source


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_a_symlink_planted_at_the_temp_name_is_not_followed(writable: None, module: Path) -> None:
    import threading

    path = cache.cache_path(str(module))
    assert path is not None
    Path(path).parent.mkdir()
    victim = module.parent / "victim.txt"
    victim.write_text("precious")
    planted = Path(f"{path}.{os.getpid()}.{threading.get_ident()}.tmp")
    planted.symlink_to(victim)
    cache.write(path, SOURCE, instrument_source(SOURCE, str(module)))
    assert victim.read_text() == "precious"
    assert not Path(path).is_symlink()
    assert cache.read(path, SOURCE, str(module)) is not None
    assert not planted.exists() and not planted.is_symlink()


# -- the stat stamp: warm imports that need not read the source ----------------

READS = IMPORT.replace(
    "hri.install(",
    "from hot_restart.loader import HotRestartLoader\n"
    "    reads = []\n"
    "    real_get_data = HotRestartLoader.get_data\n"
    "    HotRestartLoader.get_data = lambda self, p: reads.append(p) or real_get_data(self, p)\n"
    "    hri.install(",
).replace('"built": len(calls),', '"built": len(calls), "read": len(reads),')


def _age(ours: Path) -> None:
    """Date the cache file 3 s ahead: the source's stamp is then out of the racy window."""
    st = ours.stat()
    os.utime(ours, ns=(st.st_atime_ns, st.st_mtime_ns + 3_000_000_000))


@pytest.mark.skipif(os.name == "nt", reason="no change time on Windows: always hashed")
def test_warm_import_of_an_unchanged_source_does_not_read_it(tmp_path: Path, app: Path) -> None:
    assert run_json(tmp_path, READS)["built"] == 2
    # Just written: within the racy window, so checked by hash (the source is read).
    assert run_json(tmp_path, READS) == {"value": 1, "built": 0, "read": 2, "instrumented": True}
    _age(_ours(app)), _age(_ours(app, "__init__"))
    assert run_json(tmp_path, READS) == {"value": 1, "built": 0, "read": 0, "instrumented": True}


@pytest.mark.skipif(os.name == "nt", reason="no change time on Windows: always hashed")
def test_edit_keeping_size_and_mtime_is_picked_up_past_the_racy_window(
    tmp_path: Path, app: Path
) -> None:
    assert run_json(tmp_path, READS)["built"] == 2
    _age(_ours(app))
    source = app / "mod.py"
    st = source.stat()
    source.write_bytes(SOURCE.replace(b"1", b"2"))  # same size...
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))  # ...and same mtime
    assert run_json(tmp_path, READS) == {"value": 2, "built": 1, "read": 2, "instrumented": True}


def test_stamp_of_another_file_or_a_racy_one_is_not_trusted(writable: None, module: Path) -> None:
    path = cache.cache_path(str(module))
    assert path is not None
    stamp = cache.source_stamp(str(module))
    assert stamp is not None or os.name == "nt"
    cache.write(path, SOURCE, instrument_source(SOURCE, str(module)), str(module), stamp)
    assert cache.read(path, None, str(module), stamp) is None  # written just now: racy
    assert cache.read(path, None, str(module), None) is None
    if stamp is None:
        return
    _age(Path(path))
    assert cache.read(path, None, str(module), stamp) is not None
    other = bytes(32 - len(stamp)) + stamp[:-1] + bytes([stamp[-1] ^ 1])  # another inode
    assert cache.read(path, None, str(module), other) is None
