#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds bench/secrets-throughput.c against a build directory's static libraries and runs it.
# Usage: bench/secrets-throughput.sh [BUILDDIR (default: build)] [MiB of text] [repetitions]
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$src/$build ;; esac
[ -f "$build/src/lib/libstockade.a" ] || { echo "no $build/src/lib/libstockade.a: run ninja -C $build first" >&2; exit 2; }
out=$build/bench-secrets-throughput
${CC:-cc} -std=gnu17 -O2 -include "$build/config.h" -I"$src/src/basic" -I"$src/src/lib" \
        "$src/bench/secrets-throughput.c" "$build/src/lib/libstockade.a" "$build/src/basic/libbasic.a" \
        $(pkg-config --libs libhs libpcre2-8 yaml-0.1 libcrypto jansson libarchive zlib libzstd sqlite3 libcurl) \
        -lpthread -lm -lstdc++ -o "$out"
shift 2>/dev/null || true
exec "$out" "$@"
