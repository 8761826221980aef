# SPDX-License-Identifier: Apache-2.0
# Sourced by every integration script (tests/integration/tNNNN-*.sh). A script exits 0 when it passes,
# 77 when it must skip (after printing "SKIP: reason"), anything else when it fails.
#
# Numbering: 0xxx command basics, 1xxx inventory vs. the owning tools, 2xxx image sources (engine,
# registry, layouts), 3xxx report formats and schemas, 4xxx hostile input, 5xxx vulnerability
# matching on real data, 6xxx the vulnerability database, 7xxx the runtime agent, 8xxx network
# micro-perimeters.
#
# Environment (set by tests/run-integration.sh, with defaults for running a script by hand):
#   STOCKADE            the binary under test
#   STOCKADE_SRCDIR     the source tree
#   STOCKADE_TEST_CACHE cache of built test images and npm tools (outside the repo)
#   SHARED_DATA         ../shared/data (vulnerability feeds)

set -euo pipefail

STOCKADE_SRCDIR=${STOCKADE_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
STOCKADE=${STOCKADE:-$STOCKADE_SRCDIR/build/stockade}
STOCKADE_TEST_CACHE=${STOCKADE_TEST_CACHE:-/var/cache/stockade-test}
SHARED_DATA=${SHARED_DATA:-$STOCKADE_SRCDIR/../shared/data}
export STOCKADE STOCKADE_SRCDIR STOCKADE_TEST_CACHE SHARED_DATA

# A private scratch directory per script, removed at exit.
T=$(mktemp -d "${TMPDIR:-/tmp}/stockade-it.XXXXXX")
export T
_cleanups=()
_run_cleanups() {
        local i
        for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[$i]}" || true; done
        rm -rf "$T"
}
trap _run_cleanups EXIT
# Registers a command to run at exit (last registered runs first).
at_exit() { _cleanups+=("$*"); }

# Each script uses its own cache directory unless it tests the cache on purpose.
export XDG_CACHE_HOME="$T/cache"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "# $*"; }

_checks=0
# check DESCRIPTION COMMAND...: runs the command; fails the script (with the description) if it fails.
check() {
        local what=$1
        shift
        _checks=$((_checks + 1))
        if ! "$@"; then
                fail "$what"
        fi
        echo "ok $_checks - $what"
}

need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }
need_cmd() { local c; for c in "$@"; do command -v "$c" >/dev/null 2>&1 || skip "needs '$c'"; done; }
need_stockade() { [ -x "$STOCKADE" ] || fail "no stockade binary at $STOCKADE (build first)"; }

# Starts dockerd when it is not running (CI starts it too), waits until it answers.
need_docker() {
        need_root
        need_cmd docker
        if ! docker info >/dev/null 2>&1; then
                command -v dockerd >/dev/null 2>&1 || skip "no Docker engine (dockerd) installed"
                (dockerd >"${STOCKADE_TEST_CACHE}/dockerd.log" 2>&1 &)
                local i
                for i in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
                docker info >/dev/null 2>&1 || skip "dockerd did not start (see ${STOCKADE_TEST_CACHE}/dockerd.log)"
        fi
}

# test_image NAME: makes sure the cached test image NAME is built (tests/images/build.sh) and loaded
# in the engine; prints nothing. See tests/images/README.md for the images.
test_image() {
        need_docker
        "$STOCKADE_SRCDIR/tests/images/build.sh" "$1" >&2 || fail "cannot build test image '$1'"
}

# json_get FILE JQ-FILTER: jq wrapper that fails loudly.
json_get() { jq -er "$2" "$1"; }

# need_vulndb: puts a vulnerability database built from the shared feeds where `stockade scan` looks by
# default ($XDG_CACHE_HOME/stockade/vuln.db), building it once per run into the test cache.
need_vulndb() {
        local feeds=$SHARED_DATA/feeds cached=$STOCKADE_TEST_CACHE/vuln.db
        [ -d "$feeds" ] || skip "no vulnerability feeds at $feeds"
        mkdir -p "$XDG_CACHE_HOME/stockade"
        (
                flock 9
                if [ ! -s "$cached" ] || [ -n "$(find "$feeds" -newer "$cached" -print -quit)" ] ||
                        [ "$STOCKADE" -nt "$cached" ]; then
                        "$STOCKADE" db build "$feeds" --out "$cached" >/dev/null 2>&1 ||
                                { echo "cannot build the vulnerability database from $feeds" >&2; exit 1; }
                fi
        ) 9>"$STOCKADE_TEST_CACHE/.vulndb.lock" || fail "cannot build the vulnerability database"
        cp "$cached" "$XDG_CACHE_HOME/stockade/vuln.db"
}
