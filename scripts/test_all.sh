#!/usr/bin/env bash
# Run the test suite for every Python 3.10-3.13 found on this machine x each debugger
# (pdb, ipdb), one uv environment per version (.venv-3.X); then Python 3.14 the same way
# inside the py314 chroot tool when it is set up (one line saying why not otherwise); then
# the third-party fidelity harness once (scripts/test_fidelity.sh, on the default Python);
# then print a summary table. Extra arguments go to pytest (not to the fidelity harness).
# Exits 1 if any run failed or no interpreter at all was found.
#
# Python 3.14 comes from ../shared/tools/py314 (a Debian sid root with CPython 3.14, because
# this Debian 12 host has none): used when that tool exists next to the project (or at
# $PY314_TOOL) and its interpreter is set up ($PY314_ROOT, default /opt/py314). uv is
# installed inside the root on first use. Set HOT_RESTART_SKIP_FIDELITY=1 to leave out the
# fidelity harness (it downloads four sdists on its first run).
set -euo pipefail
cd "$(dirname "$0")/.."
unset VIRTUAL_ENV  # an activated .venv would only make uv warn

versions=(3.10 3.11 3.12 3.13)
debuggers=(pdb ipdb)
pythons=$(uv run --no-project python scripts/find_pythons.py "${versions[@]}") || true

# The py314 tool: next to the project (../shared/tools), or for a git worktree kept one level
# deeper (../../shared/tools), or wherever $PY314_TOOL says.
py314_tool=""
for candidate in "${PY314_TOOL:-}" ../shared/tools/py314 ../../shared/tools/py314; do
    if [[ -n "$candidate" && -x "$candidate" ]]; then py314_tool=$(cd "$(dirname "$candidate")" && pwd -P)/py314; break; fi
done
py314_python="${PY314_ROOT:-/opt/py314}/usr/bin/python3.14"
py314_why=""
if [[ -z "$py314_tool" ]]; then
    py314_why="no ../shared/tools/py314 (or \$PY314_TOOL)"
elif [[ ! -x "$py314_python" ]]; then
    py314_why="$py314_python not set up (run: $py314_tool setup)"
fi

if [[ -z "$pythons" && -n "$py314_why" ]]; then
    echo "test-all: no Python ${versions[*]} 3.14 interpreter found on this machine" >&2
    exit 1
fi

# Results live in variables like res_3_10_pdb (no associative arrays: macOS ships bash 3).
key() { local k="$1_$2"; echo "${k//./_}"; }
record() { printf -v "$(key "res_$1" "$2")" '%s' "$3"; }
failed=0
if [[ -n "$pythons" ]]; then
    while read -r ver path <&3; do
        printf -v "$(key path "$ver")" '%s' "$path"
        for dbg in "${debuggers[@]}"; do
            echo
            echo "=== Python $ver ($path), HOT_RESTART_DEBUGGER=$dbg ==="
            if HOT_RESTART_DEBUGGER=$dbg UV_PYTHON=$path UV_PROJECT_ENVIRONMENT=.venv-$ver \
                scripts/pytest_strict.sh -q "$@"; then
                record "$ver" "$dbg" pass
            else
                record "$ver" "$dbg" FAIL
                failed=1
            fi
        done
    done 3<<<"$pythons"
fi

versions+=(3.14)
if [[ -n "$py314_why" ]]; then
    echo
    echo "test-all: skipping Python 3.14: $py314_why"
    path_3_14="(skipped: $py314_why)"
else
    path_3_14="$py314_python (in $py314_tool)"
    # Inside the root: its own python3.14 at /usr/bin, its own uv in /root/v, its own .venv-3.14.
    inside=(env PATH=/root/v/bin:/usr/local/bin:/usr/bin:/bin UV_PYTHON=/usr/bin/python3.14
        UV_PROJECT_ENVIRONMENT=.venv-3.14 UV_LINK_MODE=copy)
    if ! "$py314_tool" run "${inside[@]}" bash -c 'command -v uv >/dev/null' 2>/dev/null; then
        echo "test-all: installing uv inside the py314 root (once)"
        "$py314_tool" run bash -c 'python3.14 -m venv /root/v && /root/v/bin/pip install -q uv' ||
            { path_3_14="(uv could not be installed in the py314 root)"; failed=1; }
    fi
    for dbg in "${debuggers[@]}"; do
        [[ "$path_3_14" == "(uv"* ]] && break
        echo
        echo "=== Python 3.14 ($path_3_14), HOT_RESTART_DEBUGGER=$dbg ==="
        if "$py314_tool" run "${inside[@]}" HOT_RESTART_DEBUGGER="$dbg" \
            scripts/pytest_strict.sh -q "$@"; then
            record 3.14 "$dbg" pass
        else
            record 3.14 "$dbg" FAIL
            failed=1
        fi
    done
fi

fidelity="-"
if [[ "${HOT_RESTART_SKIP_FIDELITY:-}" == 1 ]]; then
    fidelity="(skipped: HOT_RESTART_SKIP_FIDELITY=1)"
else
    echo
    echo "=== third-party fidelity harness (scripts/test_fidelity.sh) ==="
    if scripts/test_fidelity.sh; then fidelity=pass; else fidelity=FAIL; failed=1; fi
fi

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
printf '%-24s%s\n' fidelity "$fidelity"
exit "$failed"
