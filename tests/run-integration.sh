#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the integration scripts (tests/integration/tNNNN-*.sh) against a built stockade and prints one
# line per script, then "N passed, N failed, N skipped". Usage: run-integration.sh [PATTERN…] (a script
# runs when its name contains one of the patterns; all of them without one)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export STOCKADE_SRCDIR=${STOCKADE_SRCDIR:-$(dirname "$here")}
export STOCKADE=${STOCKADE:-$STOCKADE_SRCDIR/build/stockade}
export STOCKADE_TEST_CACHE=${STOCKADE_TEST_CACHE:-/var/cache/stockade-test}
mkdir -p "$STOCKADE_TEST_CACHE"
patterns=("$@")
passed=0 failed=0 skipped=0
failed_names=()
for t in "$here"/integration/t[0-9][0-9][0-9][0-9]-*.sh; do
        name=$(basename "$t" .sh)
        if [ ${#patterns[@]} -gt 0 ]; then
                match=
                for p in "${patterns[@]}"; do [[ "$name" == *$p* ]] && match=1; done
                [ -n "$match" ] || continue
        fi
        log="$STOCKADE_TEST_CACHE/logs/$name.log"
        mkdir -p "$(dirname "$log")"
        start=$(date +%s)
        bash "$t" >"$log" 2>&1 </dev/null
        rc=$?
        secs=$(($(date +%s) - start))
        case $rc in
        0) passed=$((passed + 1)); echo "PASS $name (${secs}s)" ;;
        77) skipped=$((skipped + 1)); echo "SKIP $name: $(grep -m1 '^SKIP:' "$log" | cut -c7-)" ;;
        *) failed=$((failed + 1)); failed_names+=("$name"); echo "FAIL $name (exit $rc, ${secs}s); last lines:"; tail -n 15 "$log" | sed 's/^/    /' ;;
        esac
done
echo "integration: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
