#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# t5004: vulnerability reports and the gate on a real image (bookworm-app, a database built from
# ../shared/data/feeds):
#   - sbom: targets: the CycloneDX and the SPDX SBOM stockade writes of the image, scanned as
#     sbom:FILE, give the image's findings (CycloneDX keeps each package's path; SPDX says no path, so
#     identical packages at several paths are one there: compared as sets);
#   - SARIF validates against the SARIF 2.1.0 schema, CycloneDX with vulnerabilities[] against
#     CycloneDX 1.5, and affects[].ref are bom-refs of its components;
#   - two runs with --reproducible are byte-identical, in every format;
#   - exit codes follow --fail-on (0 below, 1 at or above, 2 for a bad value), the ignore file, VEX
#     (OpenVEX) and --ignore-unfixed.
# shellcheck disable=SC2016 # jq programs name their $variables in single quotes
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-inventory.sh"
need_stockade
need_cmd jq node npm
need_vulndb
test_image bookworm-app
image=stockade-test/bookworm-app:latest
modules=$("$STOCKADE_SRCDIR/tools/schema-validate/install.sh") ||
        skip "cannot install the schema validator's npm packages (is the npm registry reachable?)"
validate() { node "$STOCKADE_SRCDIR/tools/schema-validate/validate.js" --modules "$modules" "$@"; }
scan() { "$STOCKADE" scan -q --scanners vuln "$@"; }

scan --format json "$image" >"$T/image.json" || fail "stockade scan $image failed"
n=$(jq '.vulnerabilities | length' "$T/image.json")
note "the image: $n findings"
[ "$n" -ge 500 ] || fail "only $n findings in $image"

# ---- sbom: targets ----
key() { # FILE [path]: one line per finding
        jq -r --arg path "${2:-}" '.vulnerabilities[] | [.package.purl, (if $path != "" then .package.path else "-" end),
                .id, (.ids | join(",")), (.fixed_version // "-"), .status, .severity, .ecosystem] | @tsv' "$1" | LC_ALL=C sort -u
}
"$STOCKADE" sbom -q --format cyclonedx "$image" >"$T/image.cdx.json" || fail "stockade sbom --format cyclonedx failed"
"$STOCKADE" sbom -q --format spdx "$image" >"$T/image.spdx.json" || fail "stockade sbom --format spdx failed"
scan --format json "sbom:$T/image.cdx.json" >"$T/cdx.json" || fail "scan sbom: (CycloneDX) failed"
scan --format json "sbom:$T/image.spdx.json" >"$T/spdx.json" || fail "scan sbom: (SPDX) failed"
key "$T/image.json" path >"$T/k.image.path"
key "$T/cdx.json" path >"$T/k.cdx.path"
key "$T/image.json" >"$T/k.image"
key "$T/spdx.json" >"$T/k.spdx"
expect "sbom:CycloneDX: the image's findings (purl, path, ids, fixed, status, severity)" \
        same_lines "findings" "the image scan" "$T/k.image.path" "$T/k.cdx.path"
expect "sbom:CycloneDX: as many findings as the image scan" \
        test "$(jq '.vulnerabilities | length' "$T/cdx.json")" -eq "$n"
expect "sbom:SPDX: the image's findings (purl, ids, fixed, status, severity)" \
        same_lines "findings" "the image scan" "$T/k.image" "$T/k.spdx"
expect "sbom: JSON names the SBOM and its format" \
        jq_true "$T/spdx.json" '.sbom.format | startswith("SPDX-2.")'

# ---- schemas ----
scan --format sarif "$image" >"$T/scan.sarif" || fail "scan --format sarif failed"
scan --format cyclonedx "$image" >"$T/scan.cdx.json" || fail "scan --format cyclonedx failed"
expect "SARIF validates against SARIF 2.1.0" validate sarif-2.1.0 "$T/scan.sarif"
expect "SARIF: one result per finding, a rule per id" \
        jq_true "$T/scan.sarif" '(.runs[0].results | length) == $n
                and (.runs[0].tool.driver.rules | length) == ([.runs[0].results[].ruleId] | unique | length)' --argjson n "$n"
expect "CycloneDX (with vulnerabilities[]) validates against CycloneDX 1.5" validate cyclonedx-1.5 "$T/scan.cdx.json"
expect "CycloneDX: vulnerabilities[] present, every affects[].ref is a component's bom-ref" \
        jq_true "$T/scan.cdx.json" '([.components[]?."bom-ref"] | unique) as $refs
                | (.vulnerabilities | length) > 0
                and ([.vulnerabilities[].affects[].ref] | all(. as $r | $refs | index($r) != null))'
expect "CycloneDX: one vulnerabilities[] entry per id, affecting each package it was found in" \
        jq_true "$T/scan.cdx.json" '([.vulnerabilities[].affects | length] | add) == $n' --argjson n "$n"

# ---- reproducible ----
for fmt in json sarif cyclonedx table; do
        scan --reproducible --format "$fmt" "$image" >"$T/r1.$fmt" || fail "scan --format $fmt failed"
        scan --reproducible --format "$fmt" "$image" >"$T/r2.$fmt" || fail "scan --format $fmt failed"
        expect "--reproducible --format $fmt: two runs byte-identical" cmp "$T/r1.$fmt" "$T/r2.$fmt"
done
scan --reproducible --format json "sbom:$T/image.cdx.json" >"$T/s1.json"
scan --reproducible --format json "sbom:$T/image.cdx.json" >"$T/s2.json"
expect "--reproducible on an sbom: target: byte-identical" cmp "$T/s1.json" "$T/s2.json"

# ---- the gate: HIGH 2 (urllib3 CVE-2023-43804, idna CVE-2024-3651), MEDIUM 1, no CRITICAL ----
exit_of() { "$STOCKADE" scan --scanners vuln --format json "$@" "$image" >/dev/null 2>"$T/err"; echo $?; }
expect "no --fail-on: exit 0" test "$(exit_of)" = 0
expect "--fail-on CRITICAL: nothing critical, exit 0" test "$(exit_of --fail-on CRITICAL)" = 0
expect "--fail-on HIGH: exit 1" test "$(exit_of --fail-on HIGH)" = 1
expect "--fail-on medium (any case): exit 1" test "$(exit_of --fail-on medium)" = 1
expect "--fail-on HIGH warns that unrated vulnerabilities did not count" \
        sh -c '[ "$1" = 1 ] && grep -q "without a severity rating did not count toward --fail-on HIGH" "$2"' \
        _ "$(exit_of --fail-on HIGH)" "$T/err"
expect "--fail-on UNKNOWN counts every finding, unrated included" \
        sh -c '[ "$1" = 1 ] && grep -q "[0-9]* findings at or above UNKNOWN" "$2" && ! grep -q "did not count" "$2"' \
        _ "$(exit_of --fail-on UNKNOWN)" "$T/err"
expect "--fail-on SEVERE: exit 2, the message names the value" \
        sh -c '[ "$1" = 2 ] && grep -q "invalid severity .SEVERE." "$2"' _ "$(exit_of --fail-on SEVERE)" "$T/err"
cat >"$T/ignore.yaml" <<'YAML'
ignore:
  - id: CVE-2023-43804
    package: urllib3
    reason: the application sets no cookies on cross-origin redirects
  - id: PYSEC-2024-60        # an alias of CVE-2024-3651
    reason: idna only sees trusted input here
    expires: 2999-01-01
YAML
expect "--fail-on HIGH with both HIGH findings ignored: exit 0" test "$(exit_of --fail-on HIGH --ignore-file "$T/ignore.yaml")" = 0
expect "... --fail-on MEDIUM still exit 1 (CVE-2023-45803 is not ignored)" \
        test "$(exit_of --fail-on MEDIUM --ignore-file "$T/ignore.yaml")" = 1
"$STOCKADE" scan -q --scanners vuln --format json --ignore-file "$T/ignore.yaml" "$image" >"$T/ignored.json"
expect "ignored findings stay in JSON with the reason" \
        jq_true "$T/ignored.json" '[.vulnerabilities[] | select(.excepted_by == "ignore-file")
                | [.id, .exception_reason, .exception_source]]
                == [["CVE-2023-43804", "the application sets no cookies on cross-origin redirects", $f + ":2"],
                    ["CVE-2024-3651", "idna only sees trusted input here", $f + ":5"]]' --arg f "$T/ignore.yaml"
printf 'ignore:\n  - id: CVE-2023-43804\n    reason: accepted last year\n    expires: 2020-01-01\n' >"$T/expired.yaml"
expect "an expired entry no longer applies: --fail-on HIGH exit 1, and a warning names it" \
        sh -c '[ "$1" = 1 ] && grep -q "CVE-2023-43804 expired on 2020-01-01" "$2"' _ "$(exit_of --fail-on HIGH --ignore-file "$T/expired.yaml")" "$T/err"
expect "--ignore-unfixed: every finding here has a fix, so --fail-on HIGH still exits 1" \
        test "$(exit_of --fail-on HIGH --ignore-unfixed)" = 1
# VEX: an OpenVEX document for the image's two HIGH findings, one by the package's purl (named by an
# alias), one by a statement that is still under investigation, then a newer one that says fixed
cat >"$T/app.openvex.json" <<'VEX'
{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://stockade.invalid/vex/t5004",
  "author": "t5004",
  "timestamp": "2026-01-01T00:00:00Z",
  "version": 1,
  "statements": [
    {"vulnerability": {"name": "GHSA-v845-jxx5-vc9f"},
     "products": [{"@id": "pkg:pypi/urllib3@1.26.12"}],
     "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path",
     "impact_statement": "no cookies on redirects"},
    {"vulnerability": {"name": "CVE-2024-3651"}, "products": [{"@id": "pkg:pypi/idna"}],
     "status": "under_investigation", "timestamp": "2026-01-01T00:00:00Z"},
    {"vulnerability": {"name": "CVE-2024-3651"}, "products": [{"@id": "pkg:pypi/idna"}],
     "status": "fixed", "timestamp": "2026-02-01T00:00:00Z"}
  ]
}
VEX
expect "--vex: both HIGH findings excepted (an alias, the newest statement), --fail-on HIGH exit 0" \
        test "$(exit_of --fail-on HIGH --vex "$T/app.openvex.json")" = 0
"$STOCKADE" scan -q --scanners vuln --format json --vex "$T/app.openvex.json" "$image" >"$T/vex.json"
expect "--vex: the findings stay, marked with the VEX status and justification" \
        jq_true "$T/vex.json" '[.vulnerabilities[] | select(.excepted_by == "vex") | [.id, .vex_status, .vex_justification]]
                == [["CVE-2023-43804", "not_affected", "vulnerable_code_not_in_execute_path"], ["CVE-2024-3651", "fixed", null]]
                and .summary.vulnerabilities_excepted.vex == 2 and .summary.vulnerabilities.HIGH == 0'
expect "no database: exit 2" test "$(exit_of --db "$T/none.db")" = 2
finish
