#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Vulnerability-matching benchmark (issue "vulnerability database and matching"), on the real feeds in
# ../shared/data/feeds and the "large" test image. Every figure is measured in this run:
#
#   db build   `stockade db build` of all shared feeds: wall time and database size (goals <= 10 s, <= 30 MB)
#   match 10k  matching 10,000 packages (`scan --timing`, the matching step alone; goal <= 100 ms):
#              - realistic: names drawn from the feeds' packages, mixed ecosystems (PyPI 40 %, Go 25 %,
#                Alpine 20 %, crates 15 %), 80 % at a version past every advisory of the name, 20 % at a
#                version an advisory names; every name has advisories, so every lookup reads statements;
#              - worst case: every package at a version an advisory's range names or its neighbour
#                (tests/data/match/xcheck/make-sbom.py), about six findings per package;
#              baseline: the same SBOM scanned with --scanners misconfig (reading the SBOM, no matching),
#              wall time, for the share matching adds to a scan
#   warm scan  `stockade scan oci:LARGE` (all scanners) with the layers cached, median of runs (<= 150 ms),
#              and its peak RSS (<= 100 MB); baseline: `stockade sbom` of the same, warm
#   sbom 40k   `stockade scan sbom:` of a 40,000-component SBOM (worst-case generator): wall, matching, RSS
#
# Usage: bench/vuln-match.sh [BUILD_DIR]   Prints Markdown for bench/results-vuln.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/build}
st=$build/stockade
feeds=${SHARED_DATA:-$src/../shared/data}/feeds
runs=${RUNS:-5}
export STOCKADE_TEST_CACHE=${STOCKADE_TEST_CACHE:-/var/cache/stockade-test}
[ -x "$st" ] || { echo "no stockade binary in $build (build first)" >&2; exit 2; }
[ -d "$feeds" ] || { echo "no feeds at $feeds" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/stockade-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
wall_ms() { # CMD…: wall milliseconds
        local s e
        s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N)
        echo $(((e - s) / 1000000))
}
rss_mib() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.0f\n", $1 / 1024}'; }
matching_ms() { # SBOM: the matching step of `scan --timing`, in ms
        "$st" scan --timing --scanners vuln --db "$db" --format json -o "$tmp/out.json" "sbom:$1" 2>&1 |
                sed -n 's/.*findings) \([0-9.]*\) ms$/\1/p'
}

# ---- db build ----
db=$tmp/vuln.db
: >"$tmp/build"
for _ in 1 2 3; do
        rm -f "$db"
        wall_ms "$st" db build "$feeds" --out "$db" -q >>"$tmp/build"
done
build_ms=$(median <"$tmp/build")
db_mib=$(stat -c %s "$db" | awk '{printf "%.1f", $1 / 1048576}')
mkdir -p "$XDG_CACHE_HOME/stockade"
cp "$db" "$XDG_CACHE_HOME/stockade/vuln.db"

# ---- the package sets ----
/usr/bin/python3 - "$feeds" "$tmp/real10k.json" <<'PY'
import json, os, random, sys, urllib.parse
import yaml
feeds, out = sys.argv[1:]
rng = random.Random(20261123)
L = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
def osv(folder, eco, load):
    names = {}
    for root, _, files in os.walk(folder):
        for f in files:
            if not f.endswith((".json", ".yaml")):
                continue
            with open(os.path.join(root, f), encoding="utf-8") as fh:
                r = load(fh)
            for a in (r or {}).get("affected") or []:
                p = a.get("package") or {}
                if p.get("ecosystem") != eco or not p.get("name"):
                    continue
                vs = names.setdefault(p["name"], set())
                for rg in a.get("ranges") or []:
                    for e in rg.get("events") or []:
                        vs.update(v for v in e.values() if v != "0")
    return names
def past(vs):  # a version past every one named: the largest leading number plus one
    top = max(int(v.lstrip("v").split(".")[0]) for v in vs if v.lstrip("v").split(".")[0].isdigit()) if any(
        v.lstrip("v").split(".")[0].isdigit() for v in vs) else 0
    return "%d.0.0" % (top + 1)
q = lambda s: urllib.parse.quote(s, safe="")
sets = [
    (0.40, osv(os.path.join(feeds, "pypa-osv"), "PyPI", lambda fh: yaml.load(fh, Loader=L)), lambda n, v: "pkg:pypi/%s@%s" % (q(n), q(v))),
    (0.25, osv(os.path.join(feeds, "go-osv"), "Go", json.load), lambda n, v: "pkg:golang/%s@%s" % ("/".join(q(s) for s in n.split("/")), q(v if v.startswith("v") else "v" + v))),
    (0.15, osv(os.path.join(feeds, "rustsec-osv"), "crates.io", json.load), lambda n, v: "pkg:cargo/%s@%s" % (q(n), q(v))),
]
apk = {}
secdb = os.path.join(feeds, "alpine-secdb")
for rel in sorted(os.listdir(secdb)):
    d = os.path.join(secdb, rel)
    for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        with open(os.path.join(d, f), encoding="utf-8") as fh:
            doc = yaml.load(fh, Loader=L)
        for p in doc.get("packages") or []:
            vs = [v for v in (p["pkg"].get("secfixes") or {}) if v != "0"]
            if vs:
                apk.setdefault((rel[1:], p["pkg"]["name"]), set()).update(vs)
comps = []
def add(purl):
    comps.append({"type": "library", "bom-ref": "c%d" % len(comps), "name": purl.split("@")[0].split("/")[-1], "purl": purl})
for share, names, purl in sets:
    keys = sorted(names)
    for _ in range(int(10000 * share)):
        n = rng.choice(keys)
        vs = sorted(v for v in names[n] if " " not in v)
        v = rng.choice(vs) if vs and rng.random() < 0.2 else past(vs or ["0"])
        add(purl(n, v))
keys = sorted(apk)
while len(comps) < 10000:
    rel, n = rng.choice(keys)
    vs = sorted(apk[(rel, n)])
    v = rng.choice(vs) if rng.random() < 0.2 else "999.0-r0"
    add("pkg:apk/alpine/%s@%s?arch=x86_64&distro=alpine-%s" % (q(n), q(v), rel))
json.dump({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": comps}, open(out, "w"))
PY
/usr/bin/python3 "$src/tests/data/match/xcheck/make-sbom.py" "$feeds" 10000 >"$tmp/worst10k.json" 2>/dev/null
/usr/bin/python3 "$src/tests/data/match/xcheck/make-sbom.py" "$feeds" 40000 >"$tmp/worst40k.json" 2>/dev/null

measure_set() { # NAME SBOM: matching ms (median), findings, wall of the scan, wall of the baseline
        local name=$1 f=$2 i
        : >"$tmp/m"; : >"$tmp/w"; : >"$tmp/b"
        for i in $(seq "$runs"); do
                matching_ms "$f" >>"$tmp/m"
                wall_ms "$st" scan --scanners vuln --db "$db" -q --format json -o "$tmp/out.json" "sbom:$f" >>"$tmp/w"
                wall_ms "$st" scan --scanners misconfig --db "$db" -q --format json -o "$tmp/base.json" "sbom:$f" >>"$tmp/b"
        done
        findings=$(jq '.vulnerabilities | length' "$tmp/out.json")
        rss=$(rss_mib "$st" scan --scanners vuln --db "$db" -q --format json -o "$tmp/out.json" "sbom:$f")
        echo "$name $(median <"$tmp/m") $findings $(median <"$tmp/w") $(median <"$tmp/b") $rss"
}
read -r _ real_m real_f real_w real_b real_rss < <(measure_set real "$tmp/real10k.json")
read -r _ worst_m worst_f worst_w worst_b worst_rss < <(measure_set worst "$tmp/worst10k.json")
read -r _ big_m big_f big_w big_b big_rss < <(measure_set big "$tmp/worst40k.json")

# ---- warm scan of the large image ----
layout=$("$src/tests/images/build.sh" --export oci large 2>/dev/null)
"$st" scan "oci:$layout" --db "$db" -q --format json -o "$tmp/large.json" || [ $? = 1 ]
"$st" sbom "oci:$layout" -q --format json -o "$tmp/large-sbom.json"
: >"$tmp/ws"; : >"$tmp/wb"
for _ in $(seq "$runs"); do
        wall_ms "$st" scan "oci:$layout" --db "$db" -q --format json -o "$tmp/large.json" >>"$tmp/ws"
        wall_ms "$st" sbom "oci:$layout" -q --format json -o "$tmp/large-sbom.json" >>"$tmp/wb"
done
warm_ms=$(median <"$tmp/ws")
warm_base=$(median <"$tmp/wb")
warm_rss=$(rss_mib "$st" scan "oci:$layout" --db "$db" -q --format json -o "$tmp/large.json")
large_pkgs=$(jq '.packages | length' "$tmp/large-sbom.json")
large_findings=$(jq '.vulnerabilities | length' "$tmp/large.json")
large_match=$("$st" scan --timing "oci:$layout" --db "$db" --format json -o "$tmp/large.json" 2>&1 |
        sed -n 's/.*findings) \([0-9.]*\) ms$/\1/p')

ratio() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.2f", $1 / $2; else print "-" }'; }
echo "Run $(date -u '+%Y-%m-%d %H:%M') UTC, load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs, $runs runs (medians)."
echo
echo "| measure | goal | result |"
echo "|---|---|---|"
echo "| \`db build\` of all shared feeds (wall, median of 3) | ≤ 10 s | $(echo "$build_ms" | awk '{printf "%.2f s", $1 / 1000}') |"
echo "| database size | ≤ 30 MB | $db_mib MiB |"
echo "| matching 10,000 packages, realistic set ($real_f findings) | ≤ 100 ms | **$real_m ms** |"
echo "| … its whole \`scan sbom:\` (wall) / the SBOM read alone (baseline) | | $real_w ms / $real_b ms = $(ratio "$real_w" "$real_b") × |"
echo "| matching 10,000 packages, worst case ($worst_f findings) | | $worst_m ms |"
echo "| … its whole \`scan sbom:\` (wall) / baseline | | $worst_w ms / $worst_b ms = $(ratio "$worst_w" "$worst_b") × |"
echo "| warm \`scan\` of the large image ($large_pkgs packages, $large_findings vulnerabilities; matching $large_match ms) | ≤ 150 ms | **$warm_ms ms** |"
echo "| … warm \`sbom\` of the same (baseline) | | $warm_base ms (scan = $(ratio "$warm_ms" "$warm_base") ×) |"
echo "| peak RSS: warm large-image scan / 10k realistic / 10k worst | ≤ 100 MB | $warm_rss / $real_rss / $worst_rss MiB |"
echo "| \`scan sbom:\` of 40,000 components, worst case ($big_f findings): wall / matching / RSS | record | $big_w ms / $big_m ms / $big_rss MiB |"
