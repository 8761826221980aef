#!/usr/bin/env bash
# The command line contract: help, version, usage errors (exit 2, one line naming the cause), and the
# basic formats on a small image made here from files (no engine needed).
. "$(dirname "$0")/lib.sh"
need_stockade
need_vulndb
need_cmd jq python3

check "--help exits 0 and shows examples" bash -c '"$STOCKADE" --help | grep -q "Examples:"'
check "scan --help exits 0" bash -c '"$STOCKADE" scan --help | grep -q -- "--fail-on"'
check "sbom --help exits 0" bash -c '"$STOCKADE" sbom --help | grep -q -- "--format"'
check "version" bash -c '"$STOCKADE" version | grep -q "^stockade [0-9]"'

expect_exit() { # CODE PATTERN CMD...
        local code=$1 pattern=$2 rc=0
        shift 2
        "$@" >"$T/out" 2>"$T/err" || rc=$?
        [ "$rc" = "$code" ] || { echo "exit $rc, wanted $code"; cat "$T/err"; return 1; }
        [ -z "$pattern" ] || grep -q -- "$pattern" "$T/err" || { echo "stderr lacks '$pattern':"; cat "$T/err"; return 1; }
        [ "$code" != 2 ] || [ "$(wc -l <"$T/err")" -le 3 ] || { echo "error is not short:"; cat "$T/err"; return 1; }
}
check "unknown command: exit 2" expect_exit 2 "unknown command 'frobnicate'" "$STOCKADE" frobnicate
check "missing target: exit 2" expect_exit 2 "needs a TARGET" "$STOCKADE" scan
check "bad format: exit 2" expect_exit 2 "unsupported --format 'xml'" "$STOCKADE" sbom --format xml dir:/
check "bad severity: exit 2" expect_exit 2 "invalid severity 'SEVERE'" "$STOCKADE" scan --fail-on SEVERE dir:/
check "missing file: exit 2 naming it" expect_exit 2 "/nonexistent/x.tar" "$STOCKADE" scan docker-archive:/nonexistent/x.tar
check "not an image: exit 2" expect_exit 2 "neither a docker-save archive nor an OCI layout" \
        bash -c 'tar -cf "$T/empty.tar" -C /etc hostname && "$STOCKADE" scan "$T/empty.tar"'

# A two-layer image written by hand as a docker-save archive.
python3 "$STOCKADE_SRCDIR/tests/integration/mkimage.py" "$T/img" \
        --layer 'etc/os-release=ID=debian\nVERSION_ID="12"\n' 'root/.aws/credentials=[default]\naws_access_key_id = AKIA2E0A8F3B244C9986\naws_secret_access_key = 7Fq0QmJqyXcN2cKfJ8m4Tn0L5bq1VgY9Hh3Rz2Ww\n' \
        --layer 'root/.aws/.wh.credentials=' 'app/run.sh=#!/bin/sh\necho hi\n' \
        --config-env 'PATH=/usr/bin' --docker-archive "$T/img.tar"
check "sbom json on a docker archive" bash -c '"$STOCKADE" sbom "$T/img.tar" --format json -q > "$T/sbom.json" && jq -e ".os.id == \"debian\"" "$T/sbom.json" >/dev/null'
check "scan json reports the deleted secret's layer and state" bash -c '
        "$STOCKADE" scan "$T/img.tar" --format json -q > "$T/scan.json"
        jq -e "[.secrets[] | select(.rule == \"aws-access-key-id\" and .layer == 0 and .state == \"deleted\")] | length == 1" "$T/scan.json" >/dev/null &&
        jq -e "[.secrets[] | select(.rule == \"aws-secret-access-key\" and .state == \"deleted\")] | length == 1" "$T/scan.json" >/dev/null &&
        ! grep -q 7Fq0QmJqyXcN2cKfJ8m4Tn0L5bq1VgY9Hh3Rz2Ww "$T/scan.json" &&
        jq -e ".misconfigurations | length > 0" "$T/scan.json" >/dev/null'
check "scan --fail-on LOW exits 1 when findings exist" expect_exit 1 "" "$STOCKADE" scan "$T/img.tar" --fail-on LOW -q
check "scan -o writes the file atomically" bash -c '"$STOCKADE" scan "$T/img.tar" -q --format json -o "$T/r.json" && jq . "$T/r.json" >/dev/null && ! ls "$T"/r.json.* 2>/dev/null'
check "same image, same bytes (--reproducible)" bash -c '
        "$STOCKADE" sbom "$T/img.tar" -q --reproducible --format json > "$T/a" &&
        "$STOCKADE" sbom "$T/img.tar" -q --reproducible --format json --no-cache > "$T/b" && cmp "$T/a" "$T/b"'
check "dir: target" bash -c '"$STOCKADE" sbom "dir:$T/img.rootfs" -q --format json | jq -e ".os.id == \"debian\"" >/dev/null'
check "no progress noise when stderr is not a terminal" bash -c '"$STOCKADE" sbom "$T/img.tar" --format json 2>"$T/e" >/dev/null; ! grep -q "reading layers" "$T/e"'
check "-o /dev/null writes through the device, never renames over it" bash -c '
        "$STOCKADE" sbom "$T/img.tar" -q -o /dev/null && test -c /dev/null'
check "-o FIFO writes into the FIFO" bash -c '
        mkfifo "$T/fifo" && (cat "$T/fifo" > "$T/from-fifo" &) && "$STOCKADE" sbom "$T/img.tar" -q -f json -o "$T/fifo" &&
        sleep 0.5 && test -p "$T/fifo" && jq -e .packages "$T/from-fifo" >/dev/null'
