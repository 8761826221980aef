#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Source forms: bookworm-app read through every form stockade accepts gives the same inventory as its
# `docker save` archive: gzip'd docker-archive, Docker 25+ OCI-in-archive (as docker-archive: and as
# oci:), OCI layout directory, OCI tar, OCI with zstd layers, multi-platform OCI indexes (nested and
# flat; amd64 must be picked, the arm64 image has an extra marker layer), docker:NAME from the engine,
# bare paths, and dir: of the unpacked root filesystem. Compared: type/name/version/path of every
# package; for layered forms also each package's layer, and the layers' diff_ids.
# shellcheck disable=SC2016 # jq programs and formats for other tools are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-inventory.sh"
need_stockade
need_cmd jq python3 skopeo umoci
need_docker

name=bookworm-app
test_image "$name"
declare -A ex
for f in docker-archive docker-archive-gz docker-oci-archive oci-dir oci-archive oci-zstd oci-index oci-index-flat rootfs; do
        ex[$f]=$(image_export "$name" "$f") || fail "cannot export $name as $f"
done

# projection SBOM: the normalized view compared across forms.
projection() { jq -r '.packages[] | [.type, .name, .version, .path] | @tsv' "$1"; }
layered() { jq -r '.packages[] | [.type, .name, .version, .path, .layer] | @tsv' "$1"; }

base=${ex[docker-archive]}
sbom "docker-archive:$base" "$T/base.json"
projection "$T/base.json" >"$T/base.proj"
layered "$T/base.json" >"$T/base.layered"
jq -r '.layers[].diff_id' "$T/base.json" >"$T/base.layers"
note "baseline docker-archive:$base: $(wc -l <"$T/base.proj") packages, $(wc -l <"$T/base.layers") layers"
[ "$(wc -l <"$T/base.proj")" -ge 500 ] || fail "the baseline inventory has only $(wc -l <"$T/base.proj") packages"

# same_as_base FORM TARGET [layers|nolayers] [SBOM-OPTION...]
same_as_base() {
        local form=$1 target=$2 kind=$3
        shift 3
        local out=$T/$form.json
        expect "$form: stockade reads $target" try_sbom "$target" "$out" "$@"
        [ -s "$out" ] || return 0
        projection "$out" >"$T/$form.proj"
        expect "$form ($target): same packages (type, name, version, path)" \
                same_lines "$form packages" docker-archive "$T/base.proj" "$T/$form.proj"
        if [ "$kind" = layers ]; then
                layered "$out" >"$T/$form.layered"
                jq -r '.layers[].diff_id' "$out" >"$T/$form.layers"
                expect "$form: same layers (diff_ids in order)" cmp -s "$T/base.layers" "$T/$form.layers"
                expect "$form: same layer for every package" \
                        same_lines "$form layers" docker-archive "$T/base.layered" "$T/$form.layered"
        fi
}

same_as_base docker-archive-gz "docker-archive:${ex[docker-archive-gz]}" layers
same_as_base docker-oci-archive "docker-archive:${ex[docker-oci-archive]}" layers
same_as_base docker-oci-archive-as-oci "oci:${ex[docker-oci-archive]}" layers
same_as_base oci-dir "oci:${ex[oci-dir]}" layers
same_as_base oci-archive "oci:${ex[oci-archive]}" layers
same_as_base oci-zstd "oci:${ex[oci-zstd]}" layers
same_as_base oci-index "oci:${ex[oci-index]}" layers
same_as_base oci-index-flat "oci:${ex[oci-index-flat]}" layers
same_as_base docker-engine "docker:stockade-test/$name:latest" layers
same_as_base bare-archive-path "${ex[docker-archive]}" layers
same_as_base bare-oci-path "${ex[oci-dir]}" layers
same_as_base dir "dir:${ex[rootfs]}" nolayers

# Multi-platform: linux/amd64 by default, said in target.platform; the arm64 image differs by its
# marker layer, which must show only when asked for.
for form in oci-index oci-index-flat; do
        [ -s "$T/$form.json" ] || continue
        expect "$form: target.platform is linux/amd64" jq_true "$T/$form.json" '.target.platform == "linux/amd64"'
        expect "$form: the arm64 marker package is not reported" \
                jq_true "$T/$form.json" '[.packages[] | select(.name == "stockade-platform-marker")] == []'
        try_sbom "oci:${ex[$form]}" "$T/$form-arm64.json" --platform linux/arm64 || true
        expect "$form --platform linux/arm64: picks arm64 and reads its extra layer" \
                jq_true "$T/$form-arm64.json" '(.target.platform | startswith("linux/arm64")) and
                        (.layers | length) == $n + 1 and
                        ([.packages[] | select(.name == "stockade-platform-marker") | .version] == ["1.0.0-linux-arm64-v8"])' \
                --argjson n "$(wc -l <"$T/base.layers")"
done

# dir: is no image: no image ID, and no layer that claims a diff_id (stockade shows the directory as
# one pseudo-layer without digests; docs/json-output.md does not say either way).
[ -s "$T/dir.json" ] && expect "dir: target kind dir, no image ID, no layer with a diff_id" \
        jq_true "$T/dir.json" '.target.kind == "dir" and (.target | has("id") | not) and ([.layers[] | select(has("diff_id"))] == [])'
expect "docker-archive target kind and image ID" \
        jq_true "$T/base.json" '.target.kind == "docker-archive" and .target.id == $id' \
        --arg id "$(docker image inspect -f '{{.Id}}' "stockade-test/$name:latest")"
[ -s "$T/docker-engine.json" ] && expect "docker: target kind docker and the same image ID" \
        jq_true "$T/docker-engine.json" '.target.kind == "docker" and .target.id == $id' \
        --arg id "$(docker image inspect -f '{{.Id}}' "stockade-test/$name:latest")"

finish
