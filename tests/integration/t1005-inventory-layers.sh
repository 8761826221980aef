#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Layers, deletions and overwrites, on bookworm-app (layers 0-9, see tests/images/README.md):
#  - what a later layer deleted is not reported as present: the /opt/legacy tree (npm left-pad), the
#    legacy-helper Python distribution, the debs less (purged) and procps (removed);
#  - what a later layer overwrote is reported as it is now: minimist 1.2.8 from layer 8, not 1.2.5;
#  - the layer of every package is right, derived here from the layer tars of the engine's own
#    `docker save`: a deb's layer is the first one with its dpkg info/NAME.list, a language package's
#    the last one that wrote its record (METADATA, package.json, the binary);
#  - the AWS key in root/.aws/credentials, deleted by layer 7, is still found by `stockade scan`, in
#    layer 6 with state "deleted".
# shellcheck disable=SC2016 # jq programs and formats for other tools are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-inventory.sh"
need_stockade
need_vulndb
need_cmd jq python3
need_docker

image=stockade-test/bookworm-app:latest
test_image bookworm-app
archive=$(image_export bookworm-app docker-archive) || fail "cannot export bookworm-app"
sbom "docker-archive:$archive" "$T/sbom.json"
layer_files "$archive" "$T/layer-files"
nlayers=$(docker image inspect -f '{{len .RootFS.Layers}}' "$image")
note "$image has $nlayers layers"

# Layers: the same diff_ids, in the same order, as the engine's image.
docker image inspect -f '{{range .RootFS.Layers}}{{println .}}{{end}}' "$image" | sed '/^$/d' >"$T/diffids.engine"
jq -r '.layers[] | .diff_id' "$T/sbom.json" >"$T/diffids.stockade"
expect "layers[].diff_id == the engine's RootFS.Layers, in order" cmp -s "$T/diffids.engine" "$T/diffids.stockade"
expect "layers[].index counts from 0" jq_true "$T/sbom.json" '[.layers[] | .index] == [range(0; .layers | length)]'
expect "every package's layer_diff_id is its layer's diff_id" \
        jq_true "$T/sbom.json" '.layers as $l | [.packages[] | select(has("layer")) | .layer_diff_id == $l[.layer].diff_id] | all'

# --- Deleted and overwritten ---------------------------------------------------------------------

expect "nothing from the deleted /opt/legacy tree (npm left-pad) is reported" \
        jq_true "$T/sbom.json" '[.packages[] | select((.path | startswith("opt/legacy/")) or .name == "left-pad")] == []'
expect "the deleted legacy-helper distribution is not reported" \
        jq_true "$T/sbom.json" '[.packages[] | select(.path | contains("legacy_helper"))] == []'
expect "the purged deb less and the removed deb procps are not reported" \
        jq_true "$T/sbom.json" '[.packages[] | select(.type == "deb" and (.name == "less" or .name == "procps"))] == []'
expect "minimist: only 1.2.8, from the overwriting layer 8" \
        jq_true "$T/sbom.json" '[.packages[] | select(.name == "minimist" and (.path | startswith("app/")))
                | [.version, .layer, .path]] == [["1.2.8", 8, "app/node_modules/minimist/package.json"]]'
expect "express comes from layer 5 (the app)" \
        jq_true "$T/sbom.json" '[.packages[] | select(.type == "npm" and .name == "express") | .layer] == [5]'
expect "PyYAML (python3-yaml) comes from layer 1" \
        jq_true "$T/sbom.json" '[.packages[] | select(.type == "python" and .name == "PyYAML") | .layer] == [1]'
expect "runc's Go packages come from layer 2, gofixture's from layer 3" \
        jq_true "$T/sbom.json" '([.packages[] | select(.type == "go" and .path == "usr/sbin/runc") | .layer] | unique == [2]) and
                ([.packages[] | select(.type == "go" and .path == "usr/local/bin/gofixture") | .layer] | unique == [3])'

# --- The layer of every package --------------------------------------------------------------------

# deb: first layer with var/lib/dpkg/info/NAME.list (or NAME:ARCH.list).
awk -F'\t' -v OFS='\t' '
        $2 ~ /^var\/lib\/dpkg\/info\/[^\/]+\.list$/ {
                n = $2; sub(/^var\/lib\/dpkg\/info\//, "", n); sub(/\.list$/, "", n); sub(/:.*/, "", n)
                if (!(n in first)) first[n] = $1 }
        END { for (n in first) print n, first[n] }' "$T/layer-files" | LC_ALL=C sort >"$T/deb-first-layer"
jq -r '.packages[] | select(.type == "deb") | [.name, .layer] | @tsv' "$T/sbom.json" >"$T/deb.stockade"
LC_ALL=C join -t "$(printf '\t')" -o 1.1,1.2 "$T/deb-first-layer" <(cut -f1 "$T/deb.stockade" | LC_ALL=C sort) \
        >"$T/deb.layers"
expect "each deb's layer == the first layer that installed its info/NAME.list" \
        same_lines "deb layers" "the layer tars" "$T/deb.layers" "$T/deb.stockade"

# Language packages: the last layer that wrote the record (a whiteout of it would have removed it).
awk -F'\t' -v OFS='\t' '{ last[$2] = $1 } END { for (p in last) print p, last[p] }' "$T/layer-files" |
        LC_ALL=C sort >"$T/path-last-layer"
jq -r '.packages[] | select(.type != "deb") | [.path, .type, .name, .version] | @tsv' "$T/sbom.json" |
        LC_ALL=C sort -u >"$T/records"
LC_ALL=C join -t "$(printf '\t')" -o 1.2,1.3,1.4,1.1,2.2 -a 1 -e MISSING "$T/records" "$T/path-last-layer" >"$T/lang.layers"
jq -r '.packages[] | select(.type != "deb") | [.type, .name, .version, .path, .layer] | @tsv' "$T/sbom.json" |
        LC_ALL=C sort -u >"$T/lang.stockade"
expect "each language package's layer == the last layer that wrote its record" \
        same_lines "language package layers" "the layer tars" "$T/lang.layers" "$T/lang.stockade"

# --- The deleted secret -----------------------------------------------------------------------------

"$STOCKADE" scan -q --no-cache --format json "docker-archive:$archive" >"$T/scan.json" 2>"$T/scan.err" || {
        rc=$?
        [ "$rc" = 1 ] || fail "stockade scan: exit $rc: $(head -c 600 "$T/scan.err")"
}
secret_layer=$(awk -F'\t' '$2 == "root/.aws/credentials" { print $1 }' "$T/layer-files" | head -n 1)
note "root/.aws/credentials is in layer $secret_layer; findings there:" \
        "$(jq -c '[.secrets[] | select(.path == "root/.aws/credentials") | {rule, state, layer, line}]' "$T/scan.json")"
expect "the secret scanner ran" jq_true "$T/scan.json" '.scanned.secrets == true'
expect "the AWS access key in the deleted root/.aws/credentials is found: layer $secret_layer, state deleted" \
        jq_true "$T/scan.json" '[.secrets[] | select(.path == "root/.aws/credentials"
                and .category == "AWS" and .state == "deleted" and .layer == $l and .line == 4)] | length >= 1' \
                --argjson l "$secret_layer"
expect "no finding calls that file present" \
        jq_true "$T/scan.json" '[.secrets[] | select(.path == "root/.aws/credentials" and .state != "deleted")] == []'
expect "the excerpt masks the key" \
        jq_true "$T/scan.json" '[.secrets[] | select(.path == "root/.aws/credentials") | .excerpt
                | contains("AKIAXHM2ZSJO77AN6FRV") or contains("Jia3aL/M+iXmPziowHQZ2h4k9RwqfxoDjZWy3UC1") | not] | all'

finish
