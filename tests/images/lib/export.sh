# SPDX-License-Identifier: Apache-2.0
# Sourced by ../build.sh: writes a cached image in the formats stockade reads. Every export is derived
# from the image's `docker save` archive in the cache, so none of them needs the engine. Exports live
# in IMAGEDIR/exports-HASH/ where HASH covers this folder: changing an exporter redoes the exports.
# shellcheck shell=bash

export_formats=(
        docker-archive     # `docker save` of dockerd 20.10: legacy layout (manifest.json, <id>/layer.tar)
        docker-archive-gz  # the same, gzip-compressed as a whole (`docker save | gzip`)
        docker-oci-archive # the layout Docker 25+ `docker save` writes: OCI blobs + index.json + manifest.json
        oci-dir            # OCI image layout directory, gzip layers (skopeo)
        oci-archive        # the same as a tar (skopeo oci-archive:)
        oci-zstd           # OCI image layout directory, zstd layers (skopeo)
        oci-index          # multi-platform OCI layout: index.json → image index → arm64 + amd64 manifests
        oci-index-flat     # multi-platform OCI layout: index.json lists the arm64 and amd64 manifests itself
        rootfs             # the image's root filesystem, layers applied (a dir: target)
)

_export_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

_exports_dir() {
        local h
        h=$(cat "$_export_lib"/*.sh "$_export_lib"/*.py | sha256sum | cut -c1-12)
        echo "$1/exports-$h"
}

# _export_into OUT FUNC ARGS...: runs FUNC OUT.tmp ARGS..., then renames OUT.tmp to OUT, so an
# interrupted export never looks finished.
_export_into() {
        local out=$1 fn=$2
        shift 2
        rm -rf "$out.tmp"
        "$fn" "$out.tmp" "$@"
        mv "$out.tmp" "$out"
}

_skopeo_copy() { skopeo --insecure-policy copy "$@" >/dev/null; }

# pigz writes the same format on every core; gzip where it is not installed.
_to_gzip() { if command -v pigz >/dev/null 2>&1; then pigz -n -c "$2" >"$1"; else gzip -n -c "$2" >"$1"; fi; }
_to_docker_oci_archive() { python3 "$_export_lib/ocitool.py" docker-oci-archive "$2" "$1"; }
_to_oci() { _skopeo_copy --dest-compress --dest-compress-format "$3" "docker-archive:$2" "oci:$1:latest"; }
_to_oci_archive() { _skopeo_copy "oci:$2:latest" "oci-archive:$1:latest"; }
_to_multiplatform() { python3 "$_export_lib/ocitool.py" "$3" "$2" "$1"; }
_to_bundle() { umoci unpack --image "$2:latest" "$1" >/dev/null; }

# export_image NAME IMAGEDIR FORMAT: makes sure the export exists and prints its path.
export_image() {
        local name=$1 dir=$2 fmt=$3 ex out
        [ "$fmt" = oci ] && fmt=oci-dir # the name bench/sbom.sh uses
        ex=$(_exports_dir "$dir")
        case $fmt in
        docker-archive) out=$dir/docker-archive.tar ;;
        docker-archive-gz) out=$ex/docker-archive.tar.gz ;;
        docker-oci-archive) out=$ex/docker-oci-archive.tar ;;
        oci-dir) out=$ex/oci ;;
        oci-archive) out=$ex/oci-archive.tar ;;
        oci-zstd) out=$ex/oci-zstd ;;
        oci-index) out=$ex/oci-index ;;
        oci-index-flat) out=$ex/oci-index-flat ;;
        rootfs)
                # A recipe's own root filesystem (alpine-rootfs) is the dir: form; else unpack the layers.
                if [ -d "$dir/rootfs" ]; then out=$dir/rootfs; else out=$ex/bundle/rootfs; fi ;;
        *) die "unknown export format '$fmt' (known: ${export_formats[*]})" ;;
        esac
        if [ ! -e "$out" ]; then
                # Stale exports (older exporters) go first: they can be large.
                local old
                for old in "$dir"/exports-*; do [ -e "$old" ] && [ "$old" != "$ex" ] && rm -rf "$old"; done
                mkdir -p "$ex"
                say "exporting $name as $fmt"
                local tar=$dir/docker-archive.tar
                case $fmt in
                docker-archive-gz) _export_into "$out" _to_gzip "$tar" ;;
                docker-oci-archive) _export_into "$out" _to_docker_oci_archive "$tar" ;;
                oci-dir) _export_into "$out" _to_oci "$tar" gzip ;;
                oci-zstd) _export_into "$out" _to_oci "$tar" zstd ;;
                oci-archive | oci-index | oci-index-flat | rootfs)
                        export_image "$name" "$dir" oci-dir >/dev/null
                        case $fmt in
                        oci-archive) _export_into "$out" _to_oci_archive "$ex/oci" ;;
                        rootfs) _export_into "$ex/bundle" _to_bundle "$ex/oci" ;;
                        *) _export_into "$out" _to_multiplatform "$ex/oci" "$fmt" ;;
                        esac ;;
                esac
        fi
        echo "$out"
}
