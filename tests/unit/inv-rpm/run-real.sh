#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Builds real rpm databases (make-rpmdbs.sh) in a scratch directory and checks that the cataloger reads
# from each of them exactly what rpm reports. Exits 77 (skip, with the reason) when rpm is missing.
#
# usage: run-real.sh TEST-RPM-REAL-BINARY

set -uo pipefail
exe=$1
here=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/stockade-rpmdb.XXXXXX")
trap 'rm -rf "$T"' EXIT

"$here/make-rpmdbs.sh" "$T/db"
rc=$?
if ((rc == 77)); then
        exit 77
elif ((rc != 0)); then
        echo "FAIL: could not build the rpm databases" >&2
        exit 1
fi

fail=0
n=0
while read -r format db; do
        n=$((n + 1))
        # Each database is also presented under the other places rpm keeps it.
        case $(basename "$db") in
        rpmdb.sqlite) paths=(var/lib/rpm/rpmdb.sqlite usr/lib/sysimage/rpm/rpmdb.sqlite) ;;
        Packages.db) paths=(var/lib/rpm/Packages.db usr/lib/sysimage/rpm/Packages.db) ;;
        *) paths=(var/lib/rpm/Packages usr/lib/sysimage/rpm/Packages) ;;
        esac
        for p in "${paths[@]}"; do
                if "$exe" "$db" "$p" "$T/db/expected-pkgs.txt" "$T/db/expected-files.txt"; then
                        echo "ok   $format as $p"
                else
                        echo "FAIL $format as $p"
                        fail=1
                fi
        done
done < "$T/db/cases.txt"
while read -r reason; do
        echo "# not covered: $reason"
done < "$T/db/skipped.txt"
echo "$n databases checked"
exit $fail
