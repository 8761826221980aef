#!/usr/bin/env bash
# The vulnerability database built from the real feeds in ../shared/data/feeds (Go, RustSec, PyPA YAML,
# Alpine secdb YAML, CISA KEV): sources, spot checks of what each feed says, db info and --verify, the
# command-line contract (help, exit codes, one-line errors), atomicity and damaged files.
. "$(dirname "$0")/lib.sh"
need_stockade
need_cmd jq
export FEEDS=$SHARED_DATA/feeds
[ -d "$FEEDS/go-osv" ] || skip "no shared feeds at $FEEDS"

export DB=$T/vuln.db
lookup() { "$STOCKADE" db lookup --db "$DB" --json "$@"; }

check "db build of the shared feeds" bash -c '"$STOCKADE" db build "$FEEDS" --out "$DB" -q 2>"$T/build.err"'
note "$(head -c 2000 "$T/build.err")"
check "db info names one source per feed" bash -c '
        "$STOCKADE" db info --db "$DB" --json -q > "$T/info.json" &&
        jq -e "[.sources[].name] == [\"alpine-secdb\", \"go-osv\", \"kev\", \"pypa-osv\", \"rustsec-osv\"]" "$T/info.json" >/dev/null &&
        jq -e "[.sources[].kind] == [\"secdb\", \"osv\", \"kev\", \"osv\", \"osv\"]" "$T/info.json" >/dev/null'
check "db info counts records per source" bash -c '
        jq -e ".sources[] | select(.name == \"go-osv\") | .records == 4291" "$T/info.json" >/dev/null &&
        jq -e ".sources[] | select(.name == \"pypa-osv\") | .records == 2661" "$T/info.json" >/dev/null &&
        jq -e ".sources[] | select(.name == \"kev\") | .records == 1404" "$T/info.json" >/dev/null'
check "db info: snapshot dates are the newest modification seen" bash -c '
        jq -e ".sources[] | select(.name == \"pypa-osv\") | .snapshot | startswith(\"2024-10-10\")" "$T/info.json" >/dev/null &&
        jq -e ".sources[] | select(.name == \"kev\") | .snapshot | startswith(\"2025-08-25\")" "$T/info.json" >/dev/null'
check "db info: statements per ecosystem, schema version" bash -c '
        jq -e "[.ecosystems[].name] | index(\"Go\") and index(\"PyPI\") and index(\"crates.io\") and index(\"Alpine:v3.11\")" "$T/info.json" >/dev/null &&
        jq -e ".schema_version == 1 and .vulnerabilities > 10000 and .statements > 20000" "$T/info.json" >/dev/null'
check "db info warns about sources older than 7 days" bash -c '
        "$STOCKADE" db info --db "$DB" >/dev/null 2>"$T/info.err" && grep -q "source .pypa-osv. is [0-9]* days old" "$T/info.err"'
check "db info --verify checks every record" bash -c '"$STOCKADE" db info --db "$DB" --verify -q | grep -q "(verified)"'

# Spot checks, one per feed
check "Go: GO-2023-1840 for stdlib with its ranges" bash -c '
        lookup() { "$STOCKADE" db lookup --db "$DB" --json "$@"; }
        lookup Go stdlib | jq -e ".[] | select(.id == \"GO-2023-1840\") | .ranges == [{\"type\": \"SEMVER\", \"events\":
                [{\"introduced\": \"0\"}, {\"fixed\": \"1.19.10\"}, {\"introduced\": \"1.20.0-0\"}, {\"fixed\": \"1.20.5\"}]}]
                and (.aliases | index(\"CVE-2023-29403\")) and .source == \"go-osv\"" >/dev/null'
check "Go: the toolchain pseudo-module is kept as named" bash -c '
        "$STOCKADE" db lookup --db "$DB" --json Go toolchain | jq -e "length > 0" >/dev/null'
check "Go: withdrawn GO-2022-0617 is not in the database" bash -c '
        ! "$STOCKADE" db lookup --db "$DB" --json Go k8s.io/kubernetes | jq -e ".[] | select(.id == \"GO-2022-0617\")" >/dev/null'
check "PyPI: PYSEC-2020-342 for apache-skywalking, scored from its CVSS v3.1 vector" bash -c '
        "$STOCKADE" db lookup --db "$DB" --json PyPI Apache_SkyWalking | jq -e ".[] | select(.id == \"PYSEC-2020-342\")
                | .cvss_score == 9.8 and .severity == \"CRITICAL\" and .severity_source == \"cvss\"
                and (.versions | length) == 10" >/dev/null'
check "Alpine: CVE-2019-14904 fixed in ansible 2.9.3-r0 on v3.11 (asked as 3.11.6)" bash -c '
        "$STOCKADE" db lookup --db "$DB" --json Alpine:3.11.6 ansible | jq -e ".[] | select(.id == \"CVE-2019-14904\")
                | .status == \"fixed\" and .fixed_version == \"2.9.3-r0\" and .source == \"alpine-secdb\"" >/dev/null'
check "KEV: GO-2022-0535 (CVE-2020-0601) is flagged, with the date it was added" bash -c '
        "$STOCKADE" db lookup --db "$DB" --json Go stdlib | jq -e ".[] | select(.id == \"GO-2022-0535\")
                | .kev == true and .kev_date_added == \"2021-11-03\"" >/dev/null'
check "KEV: RUSTSEC-2023-0061 (libwebp CVE-2023-4863) is flagged" bash -c '
        "$STOCKADE" db lookup --db "$DB" --json crates.io libwebp-sys | jq -e ".[] | select(.id == \"RUSTSEC-2023-0061\") | .kev" >/dev/null'
check "a package nobody wrote about: no statements, exit 0" bash -c '
        "$STOCKADE" db lookup --db "$DB" --json npm no-such-package-anywhere | jq -e "length == 0" >/dev/null'

# Reproducible, atomic
check "same feeds, same --built-at: same bytes" bash -c '
        "$STOCKADE" db build "$FEEDS/go-osv" "$FEEDS/kev" --out "$T/a.db" --built-at 2026-01-01T00:00:00Z -q &&
        "$STOCKADE" db build "$FEEDS/go-osv" "$FEEDS/kev" --out "$T/b.db" --built-at 2026-01-01T00:00:00Z -q &&
        cmp "$T/a.db" "$T/b.db"'
expect_exit() { # CODE PATTERN CMD...
        local code=$1 pattern=$2 rc=0
        shift 2
        "$@" >"$T/out" 2>"$T/err" || rc=$?
        [ "$rc" = "$code" ] || { echo "exit $rc, wanted $code"; cat "$T/err"; return 1; }
        [ -z "$pattern" ] || grep -q -- "$pattern" "$T/err" || { echo "stderr lacks '$pattern':"; cat "$T/err"; return 1; }
        [ "$code" != 2 ] || [ "$(grep -c "error:" "$T/err")" = 1 ] || { echo "not one error line:"; cat "$T/err"; return 1; }
}
cp "$DB" "$T/before.db"
mkdir -p "$T/broken"
head -c 100000 "$FEEDS/kev/known_exploited_vulnerabilities.json" > "$T/broken/kev.json"
check "a build with a broken source fails (exit 2) and keeps the database" bash -c '
        '"$(declare -f expect_exit)"'
        expect_exit 2 "source .*broken. has no usable vulnerability record" "$STOCKADE" db build "$FEEDS/go-osv" "$T/broken" --out "$DB" &&
        cmp "$DB" "$T/before.db" && ! ls "$T"/vuln.db.tmp-* 2>/dev/null'
check "a missing source: exit 2 naming it" expect_exit 2 "/nonexistent/feeds" "$STOCKADE" db build /nonexistent/feeds --out "$T/x.db"

# Damaged databases: one line naming the file, exit 2
head -c 409600 "$DB" > "$T/truncated.db"
check "truncated database" expect_exit 2 "truncated.db.* is damaged .*truncated" "$STOCKADE" db info --db "$T/truncated.db"
: > "$T/empty.db"
check "empty file" expect_exit 2 "empty.db.* is not a stockade vulnerability database" "$STOCKADE" db lookup --db "$T/empty.db" Go stdlib
head -c 100000 /dev/urandom > "$T/random.db"
check "random bytes" expect_exit 2 "random.db.* is not a stockade vulnerability database" "$STOCKADE" db info --db "$T/random.db"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('create table t(x)'); c.commit()" "$T/other.db"
check "an SQLite file of another application" expect_exit 2 "another application" "$STOCKADE" db info --db "$T/other.db"
check "no database" expect_exit 2 "no vulnerability database at .*nowhere.db.*db build" "$STOCKADE" db info --db "$T/nowhere.db"

# The command line
for sub in "" build info update lookup; do
        check "db $sub --help shows examples" bash -c '"$STOCKADE" db '"$sub"' --help | grep -q "Examples:"'
done
check "unknown db command: exit 2" expect_exit 2 "unknown db command 'frob'" "$STOCKADE" db frob
check "db build without a source: exit 2" expect_exit 2 "needs a SOURCE" "$STOCKADE" db build
check "stockade --help lists db" bash -c '"$STOCKADE" --help | grep -q "^  db "'
