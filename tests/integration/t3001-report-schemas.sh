#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# t3001: every machine-readable report validates against its format's official JSON schema
# (tools/schema-validate: CycloneDX 1.5 and SARIF 2.1.0 from pinned npm packages; SPDX 2.3 gets
# structural checks, and the official schema too when SPDX_SCHEMA names a copy of it).
#
# Validates the committed golden files, the same cases written afresh by the build's report-sample (in
# reproducible mode and as users get them, with random serial numbers and the current time), and, once
# the stockade command has `sbom` and `scan`, its output for a small root filesystem.
. "$(dirname "$0")/lib.sh"

need_cmd node npm jq
need_vulndb
builddir=${STOCKADE_BUILDDIR:-$(dirname "$STOCKADE")}
sample=$builddir/tests/unit/report/report-sample
[ -x "$sample" ] || fail "no report-sample at $sample (build first)"

modules=$("$STOCKADE_SRCDIR/tools/schema-validate/install.sh") ||
        skip "cannot install the schema validator's npm packages (is the npm registry reachable?)"
validate() { node "$STOCKADE_SRCDIR/tools/schema-validate/validate.js" --modules "$modules" "$@"; }

golden=$STOCKADE_SRCDIR/tests/data/report
mkdir -p "$T/repro" "$T/now" "$T/now2"
check "report-sample writes every case (reproducible)" "$sample" "$T/repro"
check "report-sample writes every case (as users get them)" "$sample" --now "$T/now"
check "reproducible output is byte-for-byte the golden files" diff -r "$golden" "$T/repro"

for d in "$golden" "$T/repro" "$T/now"; do
        check "CycloneDX 1.5 schema: $d" validate cyclonedx-1.5 "$d"/*cyclonedx*.json
        check "SARIF 2.1.0 schema: $d" validate sarif-2.1.0 "$d"/*sarif*.json
        check "SPDX 2.3: $d" validate spdx-2.3 "$d"/*spdx*.json
        for f in "$d"/*json*.json; do
                check "stockade JSON parses: $(basename "$f")" jq -e '.schema | startswith("stockade/")' "$f" >/dev/null
        done
done

# Two documents written "now" differ in their serial number / namespace, never in their packages.
"$sample" --now "$T/now2"
check "serial numbers are random when not reproducible" \
        test "$(jq -r .serialNumber "$T/now/cyclonedx-sbom.json")" != "$(jq -r .serialNumber "$T/now2/cyclonedx-sbom.json")"
check "namespaces are unique when not reproducible" \
        test "$(jq -r .documentNamespace "$T/now/spdx-sbom.json")" != "$(jq -r .documentNamespace "$T/now2/spdx-sbom.json")"

# The real command, once it has the subcommands (`--help` that mentions --format).
if "$STOCKADE" sbom --help 2>&1 | grep -q -- --format; then
        root=$T/rootfs
        mkdir -p "$root/etc" "$root/var/lib/dpkg"
        printf 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' \
                >"$root/etc/os-release"
        printf 'Package: base-files\nStatus: install ok installed\nVersion: 12.4+deb12u5\nArchitecture: amd64\n\n' \
                >"$root/var/lib/dpkg/status"
        for fmt in cyclonedx spdx; do
                check "stockade sbom --format $fmt" sh -c '"$1" sbom "dir:$2" --format "$3" >"$4"' _ \
                        "$STOCKADE" "$root" "$fmt" "$T/cli-$fmt.json"
        done
        check "stockade scan --format sarif" sh -c '"$1" scan "dir:$2" --format sarif >"$3"; [ $? -le 1 ]' _ \
                "$STOCKADE" "$root" "$T/cli-sarif.json"
        check "CLI CycloneDX validates" validate cyclonedx-1.5 "$T/cli-cyclonedx.json"
        check "CLI SPDX validates" validate spdx-2.3 "$T/cli-spdx.json"
        check "CLI SARIF validates" validate sarif-2.1.0 "$T/cli-sarif.json"
else
        note "the stockade command has no 'sbom --format' yet: validated the report writers' own output only"
fi
echo "t3001: $_checks checks passed"
