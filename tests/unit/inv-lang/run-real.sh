#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs test-inv-lang-real against real installations:
#  - every Python site-packages / dist-packages directory of this machine's pythons, against
#    importlib.metadata (expect-python.py);
#  - npm projects installed with lockfile versions 1, 2 and 3 (cached in
#    $STOCKADE_TEST_CACHE/npm-fixtures), against `npm ls --all --json --long` (expect-npm.py).
# Exits 77 (skip) with the reason when neither can be had here.
set -uo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
cache=${STOCKADE_TEST_CACHE:-/var/cache/stockade-test}
t=$(mktemp -d "${TMPDIR:-/tmp}/stockade-inv-lang.XXXXXX")
trap 'rm -rf "$t"' EXIT
ran=0 failed=0

# ---- Python ----
pythons=()
for py in /usr/bin/python3 "$(command -v python3 2>/dev/null)"; do
        [ -x "$py" ] && pythons+=("$py")
done
dirs=()
for py in "${pythons[@]}"; do
        while IFS= read -r d; do
                [ -d "$d" ] && dirs+=("$d")
        done < <("$py" -c 'import site, sys; print("\n".join(site.getsitepackages()))' 2>/dev/null)
done
# /usr/lib/python3/dist-packages is where Debian's python3-* packages install
[ -d /usr/lib/python3/dist-packages ] && dirs+=(/usr/lib/python3/dist-packages)
declare -A done_dirs=()
for d in "${dirs[@]}"; do
        real=$(realpath "$d")
        [ -n "${done_dirs[$real]:-}" ] && continue
        done_dirs[$real]=1
        "${pythons[0]}" "$here/expect-python.py" "$real" >"$t/py.tsv" || { echo "expect-python.py failed on $real"; failed=1; continue; }
        [ -s "$t/py.tsv" ] || continue
        echo "# python: $real ($(wc -l <"$t/py.tsv") distributions)"
        STK_PY_DIR=$real STK_PY_EXPECT=$t/py.tsv "$bin" real_python || failed=1
        ran=1
done

# ---- npm ----
if command -v npm >/dev/null && command -v node >/dev/null; then
        specs=(debug@2.6.9 ms@2.1.3 my-ms@npm:ms@2.1.2 @isaacs/string-locale-compare@1.1.0 semver@7.6.0)
        devspecs=(is-number@7.0.0 once@1.4.0)
        for v in 1 2 3; do
                dir=$cache/npm-fixtures/lock-v$v
                if [ ! -e "$dir/.done" ]; then
                        rm -rf "$dir" && mkdir -p "$dir"
                        printf '{"name":"stockade-fixture-v%s","version":"1.0.0","private":true}\n' "$v" >"$dir/package.json"
                        if ! (cd "$dir" && npm install --lockfile-version=$v --no-audit --no-fund "${specs[@]}" &&
                                npm install --lockfile-version=$v --no-audit --no-fund --save-dev "${devspecs[@]}") \
                                >"$t/npm.log" 2>&1; then
                                echo "# npm install failed (no registry?):"; tail -5 "$t/npm.log"
                                rm -rf "$dir"
                                continue
                        fi
                        touch "$dir/.done"
                fi
                (cd "$dir" && npm ls --all --json --long 2>/dev/null) | python3 "$here/expect-npm.py" "$dir" >"$t/npm.tsv" ||
                        { echo "expect-npm.py failed on $dir"; failed=1; continue; }
                echo "# npm lockfile v$v: $(wc -l <"$t/npm.tsv") packages"
                STK_NPM_DIR=$dir STK_NPM_EXPECT=$t/npm.tsv "$bin" real_npm || failed=1
                ran=1
        done
        # The global tree (npm itself, corepack): many real packages, nested ones, no lockfile.
        groot=$(npm root -g 2>/dev/null)
        if [ -d "$groot" ]; then
                (cd "$t" && npm ls -g --all --json --long 2>/dev/null) |
                        python3 "$here/expect-npm.py" "$(dirname "$groot")" >"$t/npm.tsv" ||
                        { echo "expect-npm.py failed on $groot"; failed=1; }
                echo "# npm global tree $groot: $(wc -l <"$t/npm.tsv") packages"
                STK_NPM_DIR=$(dirname "$groot") STK_NPM_PREFIX=$(basename "$groot") STK_NPM_EXPECT=$t/npm.tsv \
                        "$bin" real_npm || failed=1
        fi
fi

[ $failed = 0 ] || exit 1
[ $ran = 1 ] || { echo "SKIP: no Python installation and no npm here"; exit 77; }
exit 0
