#!/usr/bin/env bash
# Run the third-party fidelity harness (tests/fidelity/): real libraries' own test suites,
# plain and instrumented by hot_restart (cold, then from its bytecode cache, then with a prompt
# possible: HOT_RESTART_FORCE_PROMPT=1, stdin /dev/null, no stop allowed), compared test by
# test. Needs the package index on the first run (sdists and test dependencies are cached in
# .cache/fidelity/). A few minutes; `just test` never collects it. Extra arguments go to pytest
# (e.g. -k toolz for one suite, -k "prompt and click" for one suite's prompt run). Uses the default environment (.venv) unless UV_PYTHON/UV_PROJECT_ENVIRONMENT
# say otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
unset VIRTUAL_ENV
HOT_RESTART_FIDELITY=1 exec scripts/pytest_strict.sh tests/fidelity -q "$@"
