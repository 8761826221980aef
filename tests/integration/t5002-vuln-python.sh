#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# t5002: PyPI vulnerabilities on real data. A database built from ../shared/data/feeds; bookworm-app's
# Python distributions (Debian's python3-urllib3, -requests, -certifi, -idna, … in dist-packages)
# scanned by `stockade scan`:
#   - a handful of findings checked by hand (ids, package, installed and fixed version, status, severity
#     and its source, the owning deb, layer);
#   - every PyPI finding equal to an independent computation over the same feed files
#     (tests/data/match/xcheck/pypa.py: the OSV YAML read by PyYAML, versions ordered by pypa/packaging),
#     fed by the distributions importlib.metadata finds inside the image;
#   - the bulk: a CycloneDX SBOM of 3,000 project versions drawn from the feed (versions its ranges name
#     and their neighbours) scanned as sbom:, equal to the same computation.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-inventory.sh"
need_stockade
need_cmd jq
/usr/bin/python3 -c 'import yaml, packaging.version' 2>/dev/null ||
        skip "needs PyYAML and pypa/packaging (python3-yaml, python3-packaging)"
need_vulndb
test_image bookworm-app
image=stockade-test/bookworm-app:latest
feeds=$SHARED_DATA/feeds
xcheck=$STOCKADE_SRCDIR/tests/data/match/xcheck

pypa() { /usr/bin/python3 "$xcheck/pypa.py" "$feeds/pypa-osv"; }
findings() { # FILE KEY: KEY NAME VERSION IDS FIXED, KEY = purl or (name, version)
        jq -r --arg key "$2" '.vulnerabilities[] | select(.ecosystem == "PyPI")
                | [(if $key == "purl" then .package.purl else "-" end), .package.name, .package.version,
                   (.ids | sort | join(",")), (.fixed_version // "-")] | @tsv' "$1"
}

"$STOCKADE" scan -q --scanners vuln --format json "$image" >"$T/scan.json" || fail "stockade scan bookworm-app failed"

# ---- by hand ----
has() { # DESCRIPTION NAME ID JQ-CONDITION
        jq -c --arg n "$2" --arg id "$3" '[.vulnerabilities[] | select(.package.name == $n and (.ids | index($id)))]' \
                "$T/scan.json" >"$T/one.json"
        expect "$1" jq_true "$T/one.json" "length == 1 and (.[0] | $4)"
}
has "urllib3 1.26.12 (deb python3-urllib3): CVE-2023-43804 = GHSA-v845-jxx5-vc9f = PYSEC-2023-192, fixed 1.26.17, HIGH by CVSS 8.1" \
        urllib3 PYSEC-2023-192 \
        '.id == "CVE-2023-43804" and (.ids | sort) == ["CVE-2023-43804", "GHSA-v845-jxx5-vc9f", "PYSEC-2023-192"]
         and .installed_version == "1.26.12" and .fixed_version == "1.26.17" and .status == "fixed"
         and .severity == "HIGH" and .severity_source == "cvss" and .cvss_score == 8.1 and .ecosystem == "PyPI"
         and .package.owner == "deb:python3-urllib3" and .package.layer == 1
         and .package.path == "usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info/PKG-INFO"'
has "urllib3 1.26.12: CVE-2023-45803 (PYSEC-2023-212) fixed 1.26.18, MEDIUM" urllib3 CVE-2023-45803 \
        '.fixed_version == "1.26.18" and .severity == "MEDIUM"'
has "requests 2.28.1: CVE-2023-32681 (PYSEC-2023-74) fixed 2.31.0; the record has no rating: UNKNOWN" \
        requests PYSEC-2023-74 '.id == "CVE-2023-32681" and .fixed_version == "2.31.0" and .severity == "UNKNOWN"
         and .package.owner == "deb:python3-requests"'
has "certifi 2022.9.24: CVE-2022-23491 fixed 2022.12.7" certifi CVE-2022-23491 '.fixed_version == "2022.12.7"'
has "idna 3.3: CVE-2024-3651 (PYSEC-2024-60) fixed 3.7, HIGH" idna PYSEC-2024-60 '.fixed_version == "3.7" and .severity == "HIGH"'
expect "PyYAML 6.0 is past every PyYAML advisory of the feed (the last fixed in 5.4): no finding" \
        jq_true "$T/scan.json" '[.vulnerabilities[] | select(.package.name == "PyYAML")] == []'
expect "six, chardet, charset-normalizer: no finding" \
        jq_true "$T/scan.json" '[.vulnerabilities[] | select(.package.name | IN("six", "chardet", "charset-normalizer"))] == []'

# ---- the image, against the independent computation ----
in_image "$image" python3 -I -c '
import importlib.metadata as md
for d in md.distributions():
    print("-\t%s\t%s" % (d.metadata["Name"], d.version))
' | sort -u >"$T/python.tsv"
[ "$(wc -l <"$T/python.tsv")" -ge 8 ] || fail "importlib finds only $(wc -l <"$T/python.tsv") distributions"
pypa <"$T/python.tsv" >"$T/image.expected" || fail "pypa.py failed"
findings "$T/scan.json" name >"$T/image.stockade"
note "image: $(wc -l <"$T/python.tsv") distributions; stockade $(wc -l <"$T/image.stockade") PyPI findings, the independent computation $(wc -l <"$T/image.expected")"
expect "image: PyPI findings (name, version, ids, fixed) == pypa.py over importlib.metadata" \
        same_lines "PyPI findings" "pypa.py" "$T/image.expected" "$T/image.stockade"

# ---- the bulk ----
/usr/bin/python3 "$xcheck/make-sbom.py" "$feeds" 3000 --only pypi >"$T/pypi.cdx.json" 2>"$T/make-sbom.err" ||
        fail "make-sbom.py: $(cat "$T/make-sbom.err")"
/usr/bin/python3 "$xcheck/make-sbom.py" --packages pypi "$T/pypi.cdx.json" >"$T/bulk.tsv"
"$STOCKADE" scan -q --format json "sbom:$T/pypi.cdx.json" >"$T/bulk.json" || fail "stockade scan sbom: failed"
pypa <"$T/bulk.tsv" >"$T/bulk.expected" || fail "pypa.py failed"
findings "$T/bulk.json" purl >"$T/bulk.stockade"
note "bulk: $(wc -l <"$T/bulk.tsv") project versions; stockade $(wc -l <"$T/bulk.stockade") findings, the independent computation $(wc -l <"$T/bulk.expected")"
expect "bulk: 3,000 project versions, at least 5,000 findings" \
        test "$(wc -l <"$T/bulk.tsv")" -eq 3000 -a "$(wc -l <"$T/bulk.expected")" -ge 5000
expect "bulk: PyPI findings (purl, name, version, ids, fixed) == pypa.py" \
        same_lines "PyPI findings" "pypa.py" "$T/bulk.expected" "$T/bulk.stockade"
finish
