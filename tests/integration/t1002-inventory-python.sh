#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Python: stockade's python packages of bookworm-app equal the distributions importlib.metadata finds
# on the interpreter's sys.path inside a container of the image (name, version, and the .dist-info /
# .egg-info record they come from); all of them are Debian's (dist-packages), so each must be marked
# as owned by the deb that dpkg says owns its record. The distribution a later layer deleted
# (legacy-helper, in /usr/local/lib/python3.11/dist-packages) is on neither list.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-inventory.sh"
need_stockade
need_cmd jq python3
need_docker

image=stockade-test/bookworm-app:latest
test_image bookworm-app
archive=$(image_export bookworm-app docker-archive) || fail "cannot export bookworm-app"
sbom "docker-archive:$archive" "$T/sbom.json"

# The interpreter's own view (-I: sys.path without the working directory or user site).
in_image "$image" python3 -I -c '
import importlib.metadata as md, sys
for p in sys.path:
    print("path\t" + p.lstrip("/"))
for d in md.distributions():
    print("dist\t%s\t%s\t%s" % (d.metadata["Name"], d.version, str(d._path).lstrip("/")))
' >"$T/importlib"
awk -F'\t' '$1 == "path" && $2 != "" { print $2 }' "$T/importlib" >"$T/syspath"
awk -F'\t' '$1 == "dist" { print $2 "\t" $3 "\t" $4 }' "$T/importlib" >"$T/python.tool"
[ "$(wc -l <"$T/python.tool")" -ge 8 ] || fail "importlib finds only $(wc -l <"$T/python.tool") distributions in $image"
note "sys.path: $(tr '\n' ' ' <"$T/syspath")"

# stockade's records are files (METADATA, PKG-INFO, or a flat .egg-info); importlib names the
# .dist-info/.egg-info directory, or the flat file. Keep the packages whose record is on sys.path.
jq -r '.packages[] | select(.type == "python") | [.name, .version, .path, (.owner // "-")] | @tsv' "$T/sbom.json" |
        awk -F'\t' -v OFS='\t' '
                NR == FNR { onpath[$1] = 1; next }
                { rec = $3
                  if (rec ~ /\.(dist|egg)-info\/(METADATA|PKG-INFO)$/) sub(/\/[^\/]*$/, "", rec)
                  dir = rec; sub(/\/[^\/]*$/, "", dir)
                  if (dir in onpath) print $1, $2, rec, $4 }' "$T/syspath" - >"$T/python.stockade4"
cut -f1-3 "$T/python.stockade4" >"$T/python.stockade"
note "importlib: $(wc -l <"$T/python.tool") distributions; stockade: $(wc -l <"$T/python.stockade") python packages on sys.path"

expect "python packages on sys.path (name, version, record) == importlib.metadata" \
        same_lines "python" importlib.metadata "$T/python.tool" "$T/python.stockade"

# Owners: what dpkg says owns each record importlib found, against stockade's owner field.
cut -f3 "$T/python.tool" | sed 's|^|/|' >"$T/records"
dpkg_owners "$image" "$T/records" "$T/owners.dpkg"
awk -F'\t' -v OFS='\t' '{ print "/" $3, $4 }' "$T/python.stockade4" >"$T/owners.stockade"
expect "every python package is owned by the deb that dpkg -S names for its record" \
        same_lines "python owners" "dpkg -S" "$T/owners.dpkg" "$T/owners.stockade"
expect "dpkg owns every record importlib found (all are Debian's)" \
        test "$(cut -f1 "$T/owners.dpkg" | sort -u | wc -l)" = "$(wc -l <"$T/records")"

expect "the deleted legacy-helper distribution is not reported" \
        jq_true "$T/sbom.json" '[.packages[] | select(.type == "python" and (.name | ascii_downcase) == "legacy-helper")] == []'

finish
