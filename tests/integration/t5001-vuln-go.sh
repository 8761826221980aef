#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# t5001: Go vulnerabilities on real data. A database built from ../shared/data/feeds; bookworm-app's Go
# binaries (Debian's runc and containerd, built with Go 1.19.8 in GOPATH mode, and the gofixture module
# binary) scanned by `stockade scan`:
#   - a handful of findings checked by hand (id, aliases, package, installed and fixed version, status,
#     severity, layer, owner);
#   - every Go finding equal to an independent computation over the same feed files
#     (tests/data/match/xcheck/osv-go.go: the OSV records read with encoding/json, ranges evaluated with
#     golang.org/x/mod/semver), fed by what `go version -m` says of the binaries;
#   - the bulk: a CycloneDX SBOM of every module version the Go feed names (and its neighbours) scanned
#     as sbom:, equal to the same independent computation.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-inventory.sh"
need_stockade
need_cmd jq go python3
[ -f /usr/share/gocode/src/golang.org/x/mod/semver/semver.go ] ||
        skip "needs golang.org/x/mod/semver (Debian's golang-golang-x-mod-dev)"
/usr/bin/python3 -c 'import yaml' 2>/dev/null || skip "needs PyYAML (python3-yaml)"
need_vulndb
test_image bookworm-app
feeds=$SHARED_DATA/feeds
xcheck=$STOCKADE_SRCDIR/tests/data/match/xcheck
rootfs=$(image_export bookworm-app rootfs) || fail "cannot export bookworm-app as a directory"

# the independent side: GOPATH mode, Debian's x/mod, nothing fetched
osv_go() {
        GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$T/gocache" GOFLAGS='' GOPROXY=off GOTOOLCHAIN=local \
                go run "$xcheck/osv-go.go" "$feeds/go-osv"
}
# stockade's findings of one ecosystem as the checker prints them: KEY NAME VERSION IDS FIXED
findings() { # FILE KEY-FILTER
        jq -r --arg key "$2" '.vulnerabilities[] | select(.ecosystem == "Go")
                | [(if $key == "purl" then .package.purl else .package.path end), .matched_name,
                   .package.version, (.ids | sort | join(",")), (.fixed_version // "-")] | @tsv' "$1"
}

"$STOCKADE" scan -q --scanners vuln --format json stockade-test/bookworm-app:latest >"$T/scan.json" ||
        fail "stockade scan bookworm-app failed"

# ---- by hand ----
one() { # PATH NAME ID: the finding, as JSON
        jq -c --arg p "$1" --arg n "$2" --arg id "$3" \
                '[.vulnerabilities[] | select(.package.path == $p and .package.name == $n and (.ids | index($id)))]' \
                "$T/scan.json"
}
has() { # DESCRIPTION PATH NAME ID JQ-CONDITION
        one "$2" "$3" "$4" >"$T/one.json"
        expect "$1" jq_true "$T/one.json" "length == 1 and (.[0] | $5)"
}
has "runc: Go 1.19.8 stdlib, GO-2023-1751 (html/template) fixed in 1.19.9, owned by the deb runc, layer 2" \
        usr/sbin/runc stdlib GO-2023-1751 \
        '.id == "CVE-2023-24539" and (.ids | sort) == ["CVE-2023-24539", "GO-2023-1751"]
         and .installed_version == "v1.19.8" and .fixed_version == "1.19.9" and .status == "fixed"
         and .severity == "UNKNOWN" and .kev == false and .ecosystem == "Go" and .matched_name == "stdlib"
         and .package.layer == 2 and .package.owner == "deb:runc"'
has "containerd: GO-2023-2185 (CVE-2023-45283): 1.19 has no fix, so the upgrade is 1.20.11" \
        usr/bin/containerd stdlib GO-2023-2185 '.fixed_version == "1.20.11" and .status == "fixed" and .package.owner == "deb:containerd"'
has "containerd: HTTP/2 rapid reset, GO-2023-2102 = CVE-2023-39325 = GHSA-4374-p667-p6c8, fixed in 1.20.10" \
        usr/bin/containerd stdlib CVE-2023-39325 \
        '(.ids | sort) == ["CVE-2023-39325", "GHSA-4374-p667-p6c8", "GO-2023-2102"] and .fixed_version == "1.20.10"'
has "gofixture: golang.org/x/net v0.7.0, GO-2023-1988 (CVE-2023-3978) fixed in 0.13.0" \
        usr/local/bin/gofixture golang.org/x/net GO-2023-1988 \
        '.installed_version == "v0.7.0" and .fixed_version == "0.13.0" and .package.layer == 3 and .package.owner == null'
has "gofixture: logrus v1.9.0 in [1.9.0, 1.9.1) of GO-2025-4188 (CVE-2025-65637): fixed in 1.9.1" \
        usr/local/bin/gofixture github.com/sirupsen/logrus CVE-2025-65637 '.fixed_version == "1.9.1"'
expect "x/net v0.7.0 is past GO-2023-1571 (fixed in 0.7.0): no finding" \
        jq_true "$T/scan.json" '[.vulnerabilities[] | select(.ids | index("GO-2023-1571"))] == []'
expect "no finding for the main module (devel) or for uuid, errors, yaml.v3" \
        jq_true "$T/scan.json" '[.vulnerabilities[] | select(.package.name | IN("example.com/stockade-test/gofixture",
                "github.com/google/uuid", "github.com/pkg/errors", "gopkg.in/yaml.v3"))] == []'
expect "every Go binary has the same stdlib findings (one Go 1.19.8)" \
        jq_true "$T/scan.json" '[.vulnerabilities[] | select(.matched_name == "stdlib")] | group_by(.package.path)
                | (length == 7) and (map(length) | unique | length == 1)'

# ---- the image, against the independent computation ----
# go version -m: the toolchain and the dependencies of every Go executable (symlinks are not files of
# their own: /usr/bin/runc -> /usr/sbin/runc)
go version -m "$rootfs/usr" 2>/dev/null | awk -v root="$rootfs/" '
        /^\// { sub(":$", "", $1); file = substr($1, length(root) + 1); v = $2; sub("^go", "v", v)
                print file "\tstdlib\t" v; next }
        $1 == "dep" { print file "\t" $2 "\t" $3 }' >"$T/go-m.tsv"
while IFS=$'\t' read -r file mod ver; do
        [ -L "$rootfs/$file" ] || printf '%s\t%s\t%s\n' "$file" "$mod" "$ver"
done <"$T/go-m.tsv" >"$T/go.tsv"
[ "$(cut -f1 "$T/go.tsv" | sort -u | wc -l)" -eq 7 ] || fail "go version -m finds $(cut -f1 "$T/go.tsv" | sort -u | wc -l) Go executables, not 7"
osv_go <"$T/go.tsv" >"$T/image.expected" || fail "osv-go.go failed"
findings "$T/scan.json" path >"$T/image.stockade"
note "image: stockade $(wc -l <"$T/image.stockade") Go findings, the independent computation $(wc -l <"$T/image.expected")"
expect "at least 500 Go findings in the image" test "$(wc -l <"$T/image.expected")" -ge 500
expect "image: Go findings (path, module, version, ids, fixed) == osv-go.go over go version -m" \
        same_lines "Go findings" "osv-go.go" "$T/image.expected" "$T/image.stockade"

# ---- the bulk: every version the feed names ----
/usr/bin/python3 "$xcheck/make-sbom.py" "$feeds" 100000 --only go >"$T/go.cdx.json" 2>"$T/make-sbom.err" ||
        fail "make-sbom.py: $(cat "$T/make-sbom.err")"
/usr/bin/python3 "$xcheck/make-sbom.py" --packages golang "$T/go.cdx.json" >"$T/bulk.tsv"
"$STOCKADE" scan -q --format json "sbom:$T/go.cdx.json" >"$T/bulk.json" || fail "stockade scan sbom: failed"
osv_go <"$T/bulk.tsv" >"$T/bulk.expected" || fail "osv-go.go failed"
findings "$T/bulk.json" purl >"$T/bulk.stockade"
note "bulk: $(wc -l <"$T/bulk.tsv") module versions; stockade $(wc -l <"$T/bulk.stockade") findings, the independent computation $(wc -l <"$T/bulk.expected")"
expect "bulk: at least 5,000 module versions and 50,000 findings" \
        test "$(wc -l <"$T/bulk.tsv")" -ge 5000 -a "$(wc -l <"$T/bulk.expected")" -ge 50000
expect "bulk: Go findings (purl, module, version, ids, fixed) == osv-go.go" \
        same_lines "Go findings" "osv-go.go" "$T/bulk.expected" "$T/bulk.stockade"
finish
