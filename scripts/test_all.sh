#!/usr/bin/env bash
# Run the test suite for every Python 3.10-3.13 found on this machine x each debugger
# (pdb, ipdb), one uv environment per version (.venv-3.X), then print a summary table.
# Extra arguments go to pytest. Exits 1 if any run failed or no interpreter was found.
set -euo pipefail
cd "$(dirname "$0")/.."
unset VIRTUAL_ENV  # an activated .venv would only make uv warn

versions=(3.10 3.11 3.12 3.13)
debuggers=(pdb ipdb)
pythons=$(uv run --no-project python scripts/find_pythons.py "${versions[@]}") || true
if [[ -z "$pythons" ]]; then
    echo "test-all: no Python ${versions[*]} interpreter found on this machine" >&2
    exit 1
fi

# Results live in variables like res_3_10_pdb (no associative arrays: macOS ships bash 3).
key() { local k="$1_$2"; echo "${k//./_}"; }
failed=0
while read -r ver path <&3; do
    printf -v "$(key path "$ver")" '%s' "$path"
    for dbg in "${debuggers[@]}"; do
        echo
        echo "=== Python $ver ($path), HOT_RESTART_DEBUGGER=$dbg ==="
        if HOT_RESTART_DEBUGGER=$dbg UV_PYTHON=$path UV_PROJECT_ENVIRONMENT=.venv-$ver \
            scripts/pytest_strict.sh -q "$@"; then
            printf -v "$(key "res_$ver" "$dbg")" pass
        else
            printf -v "$(key "res_$ver" "$dbg")" FAIL
            failed=1
        fi
    done
done 3<<<"$pythons"

echo
echo "=== test-all summary ==="
printf '%-8s' python "${debuggers[@]}"
printf 'interpreter\n'
for ver in "${versions[@]}"; do
    printf '%-8s' "$ver"
    for dbg in "${debuggers[@]}"; do
        name=$(key "res_$ver" "$dbg")
        printf '%-8s' "${!name:--}"
    done
    name=$(key path "$ver")
    printf '%s\n' "${!name:-(not found, skipped)}"
done
exit "$failed"
