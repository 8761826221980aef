#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Image-analysis benchmark (issue "image analysis"): stockade sbom against the floor of reading the
# image's layers, measured in the same run, on the same machine.
#
#   floor     decompress every layer blob to nowhere, one thread, same zlib/zstd (bench/floor)
#   cold-1    stockade sbom --no-cache --threads 1   (single-threaded equivalent)
#   cold-2    stockade sbom --no-cache --threads 2   (both cores)
#   warm      stockade sbom with every layer in the cache (median of runs)
#   rss       peak resident memory of cold-2, and of cold-1 on a much smaller image (independence)
#
# Usage: bench/sbom.sh [OCI-LAYOUT-DIR]   (default: the "large" test image, built if needed)
# Goals: cold-1 <= 1.3 x floor, cold-2 < floor, warm <= 50 ms, RSS <= 64 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
export STOCKADE_TEST_CACHE=${STOCKADE_TEST_CACHE:-/var/cache/stockade-test}
st=build/stockade
floor=build/bench/floor
[ -x "$st" ] && [ -x "$floor" ] || { echo "build first: ninja -C build" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install sqlite3)" >&2; exit 2; }

layout=${1:-}
[ -n "$layout" ] || layout=$(tests/images/build.sh --export oci large)
small=${SMALL:-$(tests/images/build.sh --export oci bookworm-minbase)}

blobs() { # the layer blobs of an OCI layout, in order
        local d=$1 m
        m=$(jq -r '.manifests[0].digest' "$d/index.json" | cut -d: -f2)
        jq -r '.layers[].digest' "$d/blobs/sha256/$m" | cut -d: -f2 | sed "s|^|$d/blobs/sha256/|"
}
mapfile -t layers < <(blobs "$layout")
stored=$(du -cb "${layers[@]}" | tail -1 | cut -f1)

# drop the page cache effect: read everything once so every contender starts warm on I/O
cat "${layers[@]}" >/dev/null

best_of() { # N CMD…: best wall seconds of N runs (best = least disturbed by the other core's load)
        local n=$1 best=
        shift
        for _ in $(seq "$n"); do
                local s e t
                s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N)
                t=$(echo "$e - $s" | bc -l)
                if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
        done
        echo "$best"
}
rss_kb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }

cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT

floor_s=$(for _ in 1 2 3; do "$floor" "${layers[@]}"; done | sort -n | head -1 | cut -d' ' -f1)
tar_bytes=$("$floor" "${layers[@]}" | cut -d' ' -f2)
gzip_s=$(best_of 1 bash -c 'for f in "$@"; do gzip -dc "$f" 2>/dev/null || zstd -dc "$f" 2>/dev/null || cat "$f"; done' _ "${layers[@]}")
cold1=$(best_of 3 "$st" sbom "oci:$layout" --no-cache --threads 1 -q -f json -o /dev/null)
cold2=$(best_of 3 "$st" sbom "oci:$layout" --no-cache --threads 2 -q -f json -o /dev/null)
cpu1=$( { /usr/bin/time -f '%U %S' "$st" sbom "oci:$layout" --no-cache --threads 1 -q -f json -o /dev/null; } 2>&1 | tail -1 | awk '{print $1 + $2}')
"$st" sbom "oci:$layout" --cache-dir "$cache" -q -f json -o /dev/null
warm_runs=()
for _ in $(seq 11); do
        s=$(date +%s%N); "$st" sbom "oci:$layout" --cache-dir "$cache" -q -f json -o /dev/null; e=$(date +%s%N)
        warm_runs+=($(( (e - s) / 1000 )))
done
warm_us=$(printf '%s\n' "${warm_runs[@]}" | sort -n | sed -n 6p)
# The same with only the layer analyses cached (the image's finished result dropped each time): what a
# new image made of already-seen layers costs.
layer_runs=()
for _ in $(seq 11); do
        sqlite3 "$cache/layers.db" "DELETE FROM layers WHERE key LIKE 'image|%'"
        s=$(date +%s%N); "$st" sbom "oci:$layout" --cache-dir "$cache" -q -f json -o /dev/null; e=$(date +%s%N)
        layer_runs+=($(( (e - s) / 1000 )))
done
layer_us=$(printf '%s\n' "${layer_runs[@]}" | sort -n | sed -n 6p)
rss2=$(rss_kb "$st" sbom "oci:$layout" --no-cache --threads 2 -q -f json -o /dev/null)
rss1=$(rss_kb "$st" sbom "oci:$layout" --no-cache --threads 1 -q -f json -o /dev/null)
rss_small=$(rss_kb "$st" sbom "oci:$small" --no-cache --threads 1 -q -f json -o /dev/null)
pkgs=$("$st" sbom "oci:$layout" --cache-dir "$cache" -q -f json | jq '.packages | length')

ratio() { echo "scale=2; $1 / $2" | bc -l; }
cat <<EOF
image:       $layout
layers:      ${#layers[@]}, $((stored / 1048576)) MiB stored, $((tar_bytes / 1048576)) MiB uncompressed, $pkgs packages
floor:       ${floor_s} s  (zlib/zstd to nowhere, 1 thread; gzip -dc: ${gzip_s} s)
cold, 1 thr: ${cold1} s  = $(ratio "$cold1" "$floor_s") x floor   (CPU ${cpu1} s = $(ratio "$cpu1" "$floor_s") x floor; goal <= 1.3)
cold, 2 thr: ${cold2} s  = $(ratio "$cold2" "$floor_s") x floor   (goal < 1.0)
warm:        $((warm_us / 1000)).$(printf '%03d' $((warm_us % 1000))) ms median of 11, image result cached (goal <= 50 ms)
warm layers: $((layer_us / 1000)).$(printf '%03d' $((layer_us % 1000))) ms median of 11, only the layers cached (merge redone)
peak RSS:    2 thr $((rss2 / 1024)) MiB, 1 thr $((rss1 / 1024)) MiB; small image ($(basename "$small")) $((rss_small / 1024)) MiB (goal <= 64 MiB)
EOF
