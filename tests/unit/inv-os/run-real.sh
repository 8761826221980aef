#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the real-root-filesystem tests of test-inv-os-real: a Debian bookworm minbase made with debootstrap
# (cached in $STOCKADE_TEST_CACHE/bookworm-minbase), checked against what dpkg-query and the shell read
# from it. Exits 77 (skip) with the reason when the root file system cannot be made here.
set -euo pipefail
bin=$1
cache=${STOCKADE_TEST_CACHE:-/var/cache/stockade-test}
root=$cache/bookworm-minbase

skip() { echo "SKIP: $*"; exit 77; }

if [ ! -e "$root/var/lib/dpkg/status" ]; then
        [ "$(id -u)" = 0 ] || skip "making a Debian root file system needs root"
        command -v debootstrap >/dev/null || skip "debootstrap is not installed"
        mkdir -p "$cache"
        rm -rf "$root.tmp"
        if ! debootstrap --variant=minbase bookworm "$root.tmp" >"$cache/bookworm-minbase.log" 2>&1; then
                rm -rf "$root.tmp"
                skip "debootstrap failed (no access to the Debian archive?), see $cache/bookworm-minbase.log"
        fi
        mv "$root.tmp" "$root"
fi
command -v dpkg-query >/dev/null || skip "dpkg-query is not installed"

t=$(mktemp -d "${TMPDIR:-/tmp}/stockade-inv-os.XXXXXX")
trap 'rm -rf "$t"' EXIT
dpkg-query --admindir="$root/var/lib/dpkg" -W \
        -f '${db:Status-Abbrev} ${Package} ${Version} ${Architecture} ${source:Package} ${source:Version}\n' \
        >"$t/dpkg.txt"
# What a shell makes of os-release (it is shell syntax by definition).
(
        set +u
        . "$root/usr/lib/os-release"
        printf '%s\n' "$ID" "$VERSION_ID" "$VERSION_CODENAME" "$PRETTY_NAME" "$NAME" "$VERSION"
) >"$t/os.txt"

STK_REAL_ROOT=$root STK_REAL_DPKG=$t/dpkg.txt STK_REAL_OS=$t/os.txt "$bin"
