#!/usr/bin/env bash
# Run `uv run pytest ARGS...`, but fail loudly when pytest collected no tests (exit 5):
# an empty or mis-pointed test run must never look green.
# uv options come from the environment (UV_PYTHON, UV_PROJECT_ENVIRONMENT, ...).
set -euo pipefail

rc=0
uv run pytest "$@" || rc=$?
if [[ $rc -eq 5 ]]; then
    echo "pytest_strict: pytest collected no tests (exit 5); treating that as a failure" >&2
    exit 1
fi
exit "$rc"
