#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# t5003: Alpine secdb vulnerabilities on real data. A database built from ../shared/data/feeds;
# alpine-rootfs (an Alpine 3.10.0 root filesystem with an apk database, tests/images/README.md) scanned
# by `stockade scan`, as an image and as a dir: target:
#   - every finding checked by hand against the table of tests/images/README.md (which lists the
#     Alpine 3.10 secdb advisories of each installed version): id, package, origin, installed and fixed
#     version, status;
#   - the same findings from an independent computation over the secdb files
#     (tests/data/match/xcheck/apk-secdb.py: apk-tools' version rules written in Python), fed by the
#     image's own lib/apk/db/installed;
#   - the bulk: an SBOM of every (release, origin, version) the secdb names and the version below each
#     fix, with distro=alpine-X.Y purls, scanned as sbom:, equal to the same computation (ids from the
#     entries as people wrote them: "CVE-2017-2615 XSA-208", "CVE 2018-16859", "CVE_2019-2426").
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-inventory.sh"
need_stockade
need_cmd jq
/usr/bin/python3 -c 'import yaml' 2>/dev/null || skip "needs PyYAML (python3-yaml)"
need_vulndb
test_image alpine-rootfs
image=stockade-test/alpine-rootfs:latest
feeds=$SHARED_DATA/feeds
xcheck=$STOCKADE_SRCDIR/tests/data/match/xcheck
rootfs=$(image_export alpine-rootfs rootfs) || fail "cannot export alpine-rootfs as a directory"

apk_secdb() { /usr/bin/python3 "$xcheck/apk-secdb.py" "$feeds/alpine-secdb" "$feeds/go-osv" "$feeds/pypa-osv" "$feeds/rustsec-osv"; }
findings() { # FILE KEY
        jq -r --arg key "$2" '.vulnerabilities[]
                | [(if $key == "purl" then .package.purl else .package.path end), .package.name, .package.version,
                   (.ids | sort | join(",")), (.fixed_version // "-")] | @tsv' "$1"
}

# ---- by hand: tests/images/README.md, from v3.10/main.yaml ----
cat >"$T/expected" <<'TABLE'
musl	1.1.22-r2	musl	CVE-2019-14697	1.1.22-r3
musl-utils	1.1.22-r2	musl	CVE-2019-14697	1.1.22-r3
libcrypto1.1	1.1.1b-r1	openssl	CVE-2019-1547	1.1.1d-r0
libcrypto1.1	1.1.1b-r1	openssl	CVE-2019-1549	1.1.1d-r0
libcrypto1.1	1.1.1b-r1	openssl	CVE-2019-1563	1.1.1d-r0
libssl1.1	1.1.1b-r1	openssl	CVE-2019-1547	1.1.1d-r0
libssl1.1	1.1.1b-r1	openssl	CVE-2019-1549	1.1.1d-r0
libssl1.1	1.1.1b-r1	openssl	CVE-2019-1563	1.1.1d-r0
expat	2.2.7-r0	expat	CVE-2019-15903	2.2.7-r1
sqlite-libs	3.28.0-r0	sqlite	CVE-2019-16168	3.28.0-r1
TABLE
for target in "$image" "dir:$rootfs"; do
        "$STOCKADE" scan -q --scanners vuln --format json "$target" >"$T/scan.json" || fail "stockade scan $target failed"
        jq -r '.vulnerabilities[] | [.package.name, .installed_version, .matched_name, .id, .fixed_version] | @tsv' \
                "$T/scan.json" >"$T/got"
        expect "$target: the findings are the README's table (package, version, origin, id, fixed)" \
                same_lines "Alpine findings" "README" "$T/expected" "$T/got"
        expect "$target: every finding: ecosystem Alpine:v3.10, status fixed, record lib/apk/db/installed, one id" \
                jq_true "$T/scan.json" '[.vulnerabilities[] | .ecosystem == "Alpine:v3.10" and .status == "fixed"
                        and .package.path == "lib/apk/db/installed" and (.ids | length) == 1 and .package.type == "apk"] | all'
        expect "$target: busybox 1.30.1-r2 has its CVE-2019-5747 fix: no busybox finding" \
                jq_true "$T/scan.json" '[.vulnerabilities[] | select(.matched_name == "busybox")] == []'
done

# ---- the image's apk database, against the independent computation ----
awk -v OFS='\t' '
        function flush() { if (p != "") print "lib/apk/db/installed", p, v, (o == "" ? p : o), "v3.10"; p = v = o = "" }
        /^$/ { flush(); next }
        /^P:/ { p = substr($0, 3) } /^V:/ { v = substr($0, 3) } /^o:/ { o = substr($0, 3) }
        END { flush() }' "$rootfs/lib/apk/db/installed" >"$T/apk.tsv"
[ "$(wc -l <"$T/apk.tsv")" -ge 10 ] || fail "the apk database lists $(wc -l <"$T/apk.tsv") packages"
apk_secdb <"$T/apk.tsv" >"$T/image.expected" || fail "apk-secdb.py failed"
findings "$T/scan.json" path >"$T/image.stockade"
expect "image: findings (name, version, ids, fixed) == apk-secdb.py over lib/apk/db/installed" \
        same_lines "Alpine findings" "apk-secdb.py" "$T/image.expected" "$T/image.stockade"

# ---- the bulk: every release and version of the secdb ----
/usr/bin/python3 "$xcheck/make-sbom.py" "$feeds" 100000 --only apk >"$T/apk.cdx.json" 2>"$T/make-sbom.err" ||
        fail "make-sbom.py: $(cat "$T/make-sbom.err")"
/usr/bin/python3 "$xcheck/make-sbom.py" --packages apk "$T/apk.cdx.json" >"$T/bulk.tsv"
"$STOCKADE" scan -q --format json "sbom:$T/apk.cdx.json" >"$T/bulk.json" || fail "stockade scan sbom: failed"
apk_secdb <"$T/bulk.tsv" >"$T/bulk.expected" || fail "apk-secdb.py failed"
findings "$T/bulk.json" purl >"$T/bulk.stockade"
note "bulk: $(wc -l <"$T/bulk.tsv") (release, origin, version); stockade $(wc -l <"$T/bulk.stockade") findings, the independent computation $(wc -l <"$T/bulk.expected")"
expect "bulk: at least 5,000 packages and 30,000 findings" \
        test "$(wc -l <"$T/bulk.tsv")" -ge 5000 -a "$(wc -l <"$T/bulk.expected")" -ge 30000
expect "bulk: findings (purl, name, version, ids, fixed) == apk-secdb.py" \
        same_lines "Alpine findings" "apk-secdb.py" "$T/bulk.expected" "$T/bulk.stockade"
# entries as people wrote them
expect "bulk: 'CVE_2019-2426' (openjdk7, v3.9) is read as CVE-2019-2426" \
        jq_true "$T/bulk.json" '[.vulnerabilities[] | select(.matched_name == "openjdk7") | .ids[]]
                | index("CVE-2019-2426") != null and index("CVE_2019-2426") == null'
expect "bulk: 'CVE 2018-16859' (ansible, v3.9) is read as CVE-2018-16859" \
        jq_true "$T/bulk.json" '[.vulnerabilities[] | select(.matched_name == "ansible") | .ids[]] | index("CVE-2018-16859") != null'
expect "bulk: xen's 'XSA-249' alone (v3.10) lists CVE-2017-17563 ('CVE-2017-17563 XSA-249' in v3.5)" \
        jq_true "$T/bulk.json" '[.vulnerabilities[] | select(.matched_name == "xen" and (.ids | index("XSA-249")))]
                | length > 0 and all(.ids | index("CVE-2017-17563") != null)'
finish
