#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds stockade's test images locally (nothing is pulled from a registry), caches them outside the
# repository and exports them in the formats the scanner reads. See tests/images/README.md.
#
# Usage:
#   build.sh [--force] NAME...             build what is missing or stale, load it into the engine
#   build.sh --export FORMAT[,FORMAT…] NAME  build if needed, write the exports, print one path each
#   build.sh --key NAME                    print the cache key of NAME's recipe
#   build.sh --list                        print the image names and the export formats
#
# Cache: ${STOCKADE_TEST_CACHE:-/var/cache/stockade-test}/images/NAME/KEY/, where KEY hashes the files
# of tests/images/NAME/ (and the parent image's key), so a changed recipe rebuilds and an unchanged one
# is reused by CI and later runs. Progress goes to stderr; stdout carries only requested paths/keys.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${STOCKADE_TEST_CACHE:-/var/cache/stockade-test}
export STOCKADE_TEST_CACHE=$cache
images_dir=$cache/images

# Bump when build.sh changes how images are made (not how they are exported) to rebuild every image.
build_epoch=1

names=(bookworm-minbase bookworm-app alpine-rootfs large)

# shellcheck source-path=SCRIPTDIR source=lib/export.sh
. "$here/lib/export.sh"

say() { echo "build.sh: $*" >&2; }
die() { echo "build.sh: error: $*" >&2; exit 1; }

usage() {
        sed -n '/^# Usage:/,/^# Cache:/p' "${BASH_SOURCE[0]}" | sed -e 's/^# \{0,1\}//' -e '/^Cache:/d' >&2
        exit 2
}

valid_name() {
        local n
        for n in "${names[@]}"; do [ "$n" = "$1" ] && return 0; done
        return 1
}

parent_of() {
        case $1 in
        bookworm-app | large) echo bookworm-minbase ;;
        *) echo "" ;;
        esac
}

tag_of() { echo "stockade-test/$1:latest"; }

# recipe_key NAME: sha256 over the recipe folder (paths, exec bits, contents) and the parent's key.
recipe_key() {
        local name=$1 parent
        parent=$(parent_of "$name")
        {
                echo "stockade-test-image build_epoch=$build_epoch name=$name"
                [ -n "$parent" ] && echo "parent=$(recipe_key "$parent")"
                (cd "$here/$name" && find . -type f -print0 | LC_ALL=C sort -z |
                        while IFS= read -r -d '' f; do
                                printf '%s %s %s\n' "$f" "$([ -x "$f" ] && echo x || echo -)" \
                                        "$(sha256sum <"$f" | cut -c1-64)"
                        done)
        } | sha256sum | cut -c1-16
}

image_dir() { echo "$images_dir/$1/$(recipe_key "$1")"; }

need_engine() {
        command -v docker >/dev/null 2>&1 || die "docker is not installed"
        docker info >/dev/null 2>&1 ||
                die "the Docker engine is not running (start it: (dockerd >/var/log/dockerd.log 2>&1 &))"
}

# load_image NAME: makes the engine's TAG point at the cached image (docker load when it does not).
load_image() {
        local name=$1 dir tag want have
        dir=$(image_dir "$name")
        tag=$(tag_of "$name")
        want=$(cat "$dir/image-id")
        have=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)
        if [ "$have" != "$want" ]; then
                say "loading $tag into the engine from the cache"
                docker load -q -i "$dir/docker-archive.tar" >/dev/null
                have=$(docker image inspect -f '{{.Id}}' "$tag")
                [ "$have" = "$want" ] || die "loaded $tag is $have, the cache says $want"
        fi
}

# build_image NAME: runs tests/images/NAME/recipe in a scratch dir, saves the result into the cache.
build_image() {
        local name=$1 key dir tmp tag parent start secs old
        key=$(recipe_key "$name")
        dir=$images_dir/$name/$key
        tag=$(tag_of "$name")
        parent=$(parent_of "$name")
        need_engine
        if [ -n "$parent" ]; then
                ensure_image "$parent"
                load_image "$parent"
        fi
        say "building $name (recipe key $key); log: $dir.log"
        tmp=$dir.tmp
        rm -rf "$tmp"
        mkdir -p "$tmp/work"
        start=$(date +%s)
        if ! FORCE=${forced[$name]:-} PARENT_TAG=${parent:+$(tag_of "$parent")} "$here/$name/recipe" "$tmp/work" "$tag" >"$dir.log" 2>&1; then
                tail -n 30 "$dir.log" >&2
                die "recipe for $name failed (full log: $dir.log)"
        fi
        docker image inspect -f '{{.Id}}' "$tag" >"$tmp/image-id"
        say "saving $tag"
        docker save -o "$tmp/docker-archive.tar" "$tag"
        # A recipe may leave a root filesystem (alpine-rootfs does): it is the dir: form of the image.
        [ -d "$tmp/work/rootfs-out" ] && mv "$tmp/work/rootfs-out" "$tmp/rootfs"
        rm -rf "$tmp/work"
        secs=$(($(date +%s) - start))
        echo "$secs" >"$tmp/build-seconds"
        mv "$dir.log" "$tmp/build.log"
        mv "$tmp" "$dir"
        say "built $name in ${secs}s ($(du -sh "$dir/docker-archive.tar" | cut -f1) docker-archive)"
        # Old recipes' images: drop them from the cache and, when nothing else uses them, the engine.
        rm -rf "$images_dir/$name"/*.log "$images_dir/$name"/*.tmp
        for old in "$images_dir/$name"/*/; do
                old=${old%/}
                [ "$old" = "$dir" ] && continue
                if [ -f "$old/image-id" ]; then docker rmi "$(cat "$old/image-id")" >/dev/null 2>&1 || true; fi
                rm -rf "$old"
        done
}

# ensure_image NAME: builds NAME unless the cache holds its current recipe (or NAME was --force'd).
declare -A ensured=()
ensure_image() {
        local name=$1 dir
        [ -n "${ensured[$name]:-}" ] && return 0
        dir=$(image_dir "$name")
        if [ -n "${forced[$name]:-}" ] || [ ! -f "$dir/image-id" ]; then
                rm -rf "$dir"
                build_image "$name"
        fi
        ensured[$name]=1
}

force=
declare -A forced=()
mode=build
formats=
while [ $# -gt 0 ]; do
        case $1 in
        --force) force=1 ;;
        --export) formats=${2:-}; [ -n "$formats" ] || usage; mode="export"; shift ;;
        --export=*) formats=${1#--export=}; mode="export" ;;
        --key) mode=key ;;
        --list) mode=list ;;
        -h | --help) usage ;;
        -*) die "unknown option '$1'" ;;
        *) break ;;
        esac
        shift
done

if [ "$mode" = list ]; then
        echo "images: ${names[*]}"
        echo "formats: ${export_formats[*]}"
        exit 0
fi
[ $# -gt 0 ] || usage
for n in "$@"; do
        valid_name "$n" || die "unknown image '$n' (known: ${names[*]})"
        # --force rebuilds the images named, not their parents.
        [ -n "$force" ] && forced[$n]=1
done

if [ "$mode" = key ]; then
        for n in "$@"; do recipe_key "$n"; done
        exit 0
fi

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, docker, umoci unpack)"
mkdir -p "$images_dir"
# One build at a time per cache: parallel test runs wait for each other instead of racing.
exec 9>"$images_dir/.lock"
flock 9

for n in "$@"; do
        ensure_image "$n"
        if [ "$mode" = build ]; then
                need_engine
                load_image "$n"
        else
                IFS=, read -r -a fl <<<"$formats"
                for f in "${fl[@]}"; do
                        export_image "$n" "$(image_dir "$n")" "$f"
                done
        fi
done
