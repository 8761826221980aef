#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmarks of the vulnerability database, on the real feeds in ../shared/data/feeds:
#   - `stockade db build` of all of them (wall and CPU time, database size), against the floor of
#     reading the same files (cat to /dev/null) measured in the same run;
#   - lookups of 10,000 real package names taken from the database (with details, without details,
#     without merging), and of 10,000 names it does not know, against the floor of the same number of
#     rowid reads through SQLite alone; the time to open.
# Usage: bench/vulndb-build.sh [BUILD_DIR] (default build/). Prints a Markdown table for
# bench/results-vulndb.md. The machine's wall time can exceed its CPU time (a shared VM): both are shown.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/build}
stockade=$build/stockade
feeds=${SHARED_DATA:-$src/../shared/data}/feeds
runs=${RUNS:-3}
[ -x "$stockade" ] || { echo "no stockade binary in $build (build first)" >&2; exit 2; }
[ -d "$feeds" ] || { echo "no feeds at $feeds" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/stockade-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# median of N numbers on stdin
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# wall and user+sys seconds of a command, as "WALL CPU"
timed() { /usr/bin/time -f "%e %U %S" "$@" 2>"$tmp/time" >/dev/null || { cat "$tmp/time" >&2; exit 1; }
          tail -1 "$tmp/time" | awk '{printf "%.2f %.2f\n", $1, $2 + $3}'; }

# ---- build ----
find "$feeds" -type f -print0 | xargs -0 cat >/dev/null # warm the page cache
: > "$tmp/floor" ; : > "$tmp/build"
for i in $(seq "$runs"); do
        timed sh -c "find '$feeds' -type f -print0 | xargs -0 cat >/dev/null" >> "$tmp/floor"
        rm -f "$tmp/vuln.db"
        timed "$stockade" db build "$feeds" --out "$tmp/vuln.db" -q >> "$tmp/build"
done
floor_wall=$(cut -d' ' -f1 "$tmp/floor" | median); floor_cpu=$(cut -d' ' -f2 "$tmp/floor" | median)
build_wall=$(cut -d' ' -f1 "$tmp/build" | median); build_cpu=$(cut -d' ' -f2 "$tmp/build" | median)
db_bytes=$(stat -c %s "$tmp/vuln.db")
input_bytes=$(du -sb "$feeds" | cut -f1)
files=$(find "$feeds" -type f \( -name '*.json' -o -name '*.yaml' \) | wc -l)
counts=$("$stockade" db info --db "$tmp/vuln.db" --json -q | jq -r '"\(.vulnerabilities) vulnerabilities, \(.statements) statements, \(.packages) packages"')

# ---- lookups ----
cat > "$tmp/lookup.c" <<'EOF'
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "vulndb/vulndb.h"

#define N 10000
static char eco[N][64], name[N][512];

static double cpu(void) {
        struct timespec t;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
        return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}
static double wall(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}
static int count(void *u, const struct vuln_affected *a) {
        (*(size_t *) u)++;
        return 0;
}

int main(int argc, char **argv) {
        sqlite3 *s;
        sqlite3_stmt *st;
        int64_t ids[N];
        int have = 0;
        /* 10,000 real names: every package of the database, in a scrambled order, repeated as needed */
        sqlite3_open_v2(argv[1], &s, SQLITE_OPEN_READONLY, NULL);
        sqlite3_prepare_v2(s, "SELECT id, ecosystem, name FROM packages ORDER BY (id * 2654435761) % 1000003", -1, &st, NULL);
        while (sqlite3_step(st) == SQLITE_ROW && have < N) {
                ids[have] = sqlite3_column_int64(st, 0);
                snprintf(eco[have], sizeof eco[0], "%s", sqlite3_column_text(st, 1));
                snprintf(name[have], sizeof name[0], "%s", sqlite3_column_text(st, 2));
                have++;
        }
        sqlite3_finalize(st);
        for (int i = have; i < N; i++) {
                ids[i] = ids[i % have];
                strcpy(eco[i], eco[i % have]);
                strcpy(name[i], name[i % have]);
        }
        sqlite3_close(s);
        /* floor: the same rowid reads through SQLite, opened as the reader opens (immutable, mmap), the
         * blob fetched, nothing decoded */
        char uri[4200];
        snprintf(uri, sizeof uri, "file:%s?immutable=1", argv[1]);
        sqlite3_open_v2(uri, &s, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
        sqlite3_exec(s, "PRAGMA mmap_size=268435456", NULL, NULL, NULL);
        sqlite3_prepare_v2(s, "SELECT ecosystem, name, data FROM packages WHERE id = ?1", -1, &st, NULL);
        double w0 = wall(), c0 = cpu();
        size_t bytes = 0;
        for (int i = 0; i < N; i++) {
                sqlite3_bind_int64(st, 1, ids[i]);
                if (sqlite3_step(st) == SQLITE_ROW)
                        bytes += (size_t) sqlite3_column_bytes(st, 2);
                sqlite3_reset(st);
        }
        printf("floor %.2f %.2f %zu\n", (wall() - w0) * 1e3, (cpu() - c0) * 1e3, bytes);
        sqlite3_finalize(st);
        sqlite3_close(s);

        struct diag d;
        struct vulndb *db;
        diag_init(&d);
        w0 = wall(), c0 = cpu();
        if (vulndb_open(argv[1], &d, &db) < 0) {
                fprintf(stderr, "%s\n", d.error);
                return 1;
        }
        printf("open %.3f %.3f 0\n", (wall() - w0) * 1e3, (cpu() - c0) * 1e3);
        static const struct {
                const char *what;
                unsigned flags;
        } modes[] = {
                { "details", 0 },
                { "nodetails", VULNDB_LOOKUP_NO_DETAILS },
                { "raw", VULNDB_LOOKUP_RAW | VULNDB_LOOKUP_NO_DETAILS },
        };
        for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
                size_t n = 0;
                w0 = wall(), c0 = cpu();
                for (int i = 0; i < N; i++)
                        if (vulndb_lookup_ex(db, eco[i], name[i], modes[m].flags, count, &n) < 0)
                                return 1;
                printf("%s %.2f %.2f %zu\n", modes[m].what, (wall() - w0) * 1e3, (cpu() - c0) * 1e3, n);
        }
        size_t n = 0;
        char miss[64];
        w0 = wall(), c0 = cpu();
        for (int i = 0; i < N; i++) {
                snprintf(miss, sizeof miss, "no-such-package-%d", i);
                vulndb_lookup(db, i % 2 ? "npm" : "Debian:12", miss, count, &n);
        }
        printf("misses %.2f %.2f %zu\n", (wall() - w0) * 1e3, (cpu() - c0) * 1e3, n);
        vulndb_close(db);
        diag_done(&d);
        return 0;
}
EOF
cc -O2 -std=gnu17 -D_GNU_SOURCE -include "$build/config.h" -I"$src/src/basic" -I"$src/src/lib" "$tmp/lookup.c" \
        "$build/src/lib/libstockade.a" "$build/src/basic/libbasic.a" \
        $(pkg-config --libs jansson yaml-0.1 sqlite3 libcrypto zlib libarchive libcurl libzstd libhs) -lm -lpthread \
        -o "$tmp/lookup"
for i in $(seq "$runs"); do "$tmp/lookup" "$(realpath "$tmp/vuln.db")"; done > "$tmp/lk"
med() { grep "^$1 " "$tmp/lk" | cut -d' ' -f"$2" | median; }

cat <<EOF
| measure | wall | CPU | note |
|---|---|---|---|
| read the feeds (cat, floor) | ${floor_wall} s | ${floor_cpu} s | $files record files, $((input_bytes / 1048576)) MiB |
| \`stockade db build\` all feeds | ${build_wall} s | ${build_cpu} s | ${counts}; CPU ×$(awk "BEGIN{printf \"%.1f\", $build_cpu / ($floor_cpu > 0 ? $floor_cpu : 0.01)}") the floor |
| database size | | | $(awk "BEGIN{printf \"%.1f\", $db_bytes / 1048576}") MiB |
| open | $(med open 2) ms | $(med open 3) ms | header, meta, sources |
| 10,000 rowid reads through SQLite (floor) | $(med floor 2) ms | $(med floor 3) ms | blobs only, nothing decoded |
| 10,000 lookups, with details | $(med details 2) ms | $(med details 3) ms | $(med details 4) statements; $(awk "BEGIN{printf \"%.1f\", $(med details 3) * 1000 / 10000}") µs each, ×$(awk "BEGIN{printf \"%.1f\", $(med details 3) / $(med floor 3)}") the floor |
| 10,000 lookups, no details | $(med nodetails 2) ms | $(med nodetails 3) ms | $(awk "BEGIN{printf \"%.1f\", $(med nodetails 3) * 1000 / 10000}") µs each, ×$(awk "BEGIN{printf \"%.1f\", $(med nodetails 3) / $(med floor 3)}") the floor |
| 10,000 lookups, raw, no details | $(med raw 2) ms | $(med raw 3) ms | $(med raw 4) statements (unmerged) |
| 10,000 lookups of unknown names | $(med misses 2) ms | $(med misses 3) ms | |
EOF
