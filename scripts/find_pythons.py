"""Find one working interpreter per Python minor version, without hard-coded paths.

Prints one line per version found, e.g. ``3.11 /usr/bin/python3.11``, to stdout;
explains on stderr what was tried for versions it could not find. Exits 1 if none
was found. Stdlib only, so it runs anywhere:

    uv run --no-project python scripts/find_pythons.py [3.10 3.11 ...]

Order of attempts per version: ``uv python find --system 3.X``, then pyenv's
``versions/<v>/bin/python3`` (pyenv shims are unreliable for non-global versions),
then ``python3.X`` on PATH. Each candidate is run to check it works and really is
3.X; the path printed is the real interpreter (the base one if it was a venv).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

DEFAULT_VERSIONS = ["3.10", "3.11", "3.12", "3.13"]
PROBE = (
    "import sys; in_venv = sys.prefix != sys.base_prefix; "
    "exe = getattr(sys, '_base_executable', '') if in_venv else sys.executable; "
    "print('%d.%d' % sys.version_info[:2]); print(exe)"
)


def run(cmd: list[str], timeout: float = 30) -> str | None:
    """Stdout of ``cmd`` if it exits 0, else None (never raises)."""
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 else None


def from_uv(version: str) -> list[str]:
    out = run(["uv", "python", "find", "--system", version]) if shutil.which("uv") else None
    return [out.strip()] if out and out.strip() else []


def from_pyenv(version: str) -> list[str]:
    if not shutil.which("pyenv"):
        return []
    root, names = run(["pyenv", "root"]), run(["pyenv", "versions", "--bare"])
    if not root or not names:
        return []
    pattern = re.compile(rf"{re.escape(version)}(\.\d+)?")  # "3.10" or "3.10.13", not "3.10t"
    matches = [n.strip() for n in names.splitlines() if pattern.fullmatch(n.strip())]
    matches.sort(key=lambda n: [int(p) for p in n.split(".")], reverse=True)  # newest first
    return [os.path.join(root.strip(), "versions", n, "bin", "python3") for n in matches]


def from_path(version: str) -> list[str]:
    found = shutil.which(f"python{version}")
    return [found] if found else []


def verify(candidate: str, version: str) -> str | None:
    """The real interpreter path if ``candidate`` runs and is ``version``, else None."""
    out = run([candidate, "-c", PROBE])
    if not out or len(out.split("\n")) < 2:
        return None
    reported, exe = out.split("\n")[:2]
    if reported.strip() != version or not exe.strip() or not os.path.exists(exe.strip()):
        return None
    return os.path.abspath(exe.strip())


def find(version: str) -> str | None:
    tried = []
    for source in (from_uv, from_pyenv, from_path):
        for candidate in source(version):
            good = verify(candidate, version)
            if good:
                return good
            tried.append(candidate)
    print(
        f"find_pythons: no working Python {version} (tried: {tried or 'nothing'})", file=sys.stderr
    )
    return None


def main(argv: list[str]) -> int:
    found = 0
    for version in argv or DEFAULT_VERSIONS:
        path = find(version)
        if path:
            print(f"{version} {path}", flush=True)
            found += 1
    return 0 if found else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
