# Developer commands for hot_restart. Run `just` to list them.

set shell := ["bash", "-euo", "pipefail", "-c"]
set positional-arguments

# List the available recipes
default:
    @just --list

# Create/refresh .venv with the project and its dev dependency group
setup:
    uv sync

# Run the tests (extra args go to pytest; fails if no tests are collected)
test *ARGS:
    scripts/pytest_strict.sh "$@"

# Run hot-restart 0.2.4's own tests (from its PyPI sdist, cached in .cache/) against this package
test-classic *ARGS:
    scripts/pytest_strict.sh tests/classic_suite -v "$@"

# Run the tests on every Python 3.10-3.13 found here and 3.14 (../shared/tools/py314, when set up), with pdb and with ipdb (test-classic included), then test-fidelity once
test-all *ARGS:
    scripts/test_all.sh "$@"

# Run real third-party test suites plain and instrumented and compare every outcome (slow; downloads once into .cache/fidelity)
test-fidelity *ARGS:
    scripts/test_fidelity.sh "$@"

# Check lint and formatting with ruff
lint:
    uv run ruff check .
    uv run ruff format --check .

# Fix lint issues and reformat with ruff
lint-fix:
    uv run ruff check --fix .
    uv run ruff format .

# Type-check hot_restart/ with mypy (strict; configured in pyproject.toml)
typecheck:
    uv run mypy

# Run every benchmarks/bench_*.py (each prints its own table)
bench:
    #!/usr/bin/env bash
    set -euo pipefail
    shopt -s nullglob
    benches=(benchmarks/bench_*.py)
    if (( ${#benches[@]} == 0 )); then echo "bench: no benchmarks/bench_*.py found" >&2; exit 1; fi
    failed=0
    for bench in "${benches[@]}"; do
        echo "=== $bench ==="
        uv run python "$bench" || { echo "bench: $bench failed" >&2; failed=1; }
    done
    exit "$failed"

# Build the sdist and wheel into dist/ (PEP 517 build with the flit_core backend)
build:
    rm -rf dist
    uv build
    ls dist/*.tar.gz dist/*.whl

# Remove build outputs, caches, per-version test environments, the fidelity harness's downloads and __pycache__ dirs
clean:
    rm -rf dist build .venv-* .cache/fidelity .mypy_cache .ruff_cache .pytest_cache .hypothesis ./*.egg-info
    find . -path ./.venv -prune -o -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# Scripted end-to-end demo: crash, fix the file, continue (drives demo/inventory.py via pexpect)
demo:
    uv run python demo/run_demo.py

# The same demo in a real Jupyter kernel: the crash opens the debugger in the notebook's input box; the script fixes the file, answers `c`, and prints the transcript
demo-notebook:
    uv run python demo/run_notebook_demo.py

# Try the demo by hand: fix apply_discount in demo/inventory.py when pdb opens, then type c
demo-live:
    @echo "When the debugger opens: fix apply_discount in demo/inventory.py, save, type c."
    @echo "Afterwards: git checkout demo/inventory.py"
    uv run python demo/inventory.py
