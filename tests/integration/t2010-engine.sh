#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# docker: images from the local engine over its unix socket: the description after open() matches the
# export streamed by stream() (and the engine's inspect), layers are the ones `docker save` writes, the
# scanner skips the export when its cache has every layer, and engine trouble is said clearly.
source "$(dirname "$0")/lib.sh"
source "$STOCKADE_SRCDIR/tests/data/image-remote/lib-remote.sh"
need_fetch
need_cmd jq python3
remote_images
remote_big_image

img=stockade-test/remote-app:1
docker image inspect "$img" >"$T/inspect.json"
id=$(jq -r '.[0].Id' "$T/inspect.json")
docker save "$img" -o "$T/app.tar"
fetch --read "docker-archive:$T/app.tar" >"$T/archive.json"

fetch --read "docker:$img" >"$T/engine.json" || fail "docker: read failed"
check "a stream source" [ "$(jq -r .random_access "$T/engine.json")" = false ]
check "after open: id is the engine's Id" [ "$(jq -r .after_open.id "$T/engine.json")" = "$id" ]
check "after open: diff_ids are RootFS.Layers" \
        [ "$(jq -c '[.after_open.layers[].diff_id]' "$T/engine.json")" = "$(jq -c '.[0].RootFS.Layers' "$T/inspect.json")" ]
check "after open: name, tags, platform" \
        [ "$(jq -c '.after_open | [.name, .repo_tags, .platform, .source_kind]' "$T/engine.json")" = "[\"$img\",[\"$img\"],\"linux/amd64\",\"docker\"]" ]
check "after open: no raw config yet" [ "$(jq -r .after_open.config_raw_len "$T/engine.json")" = null ]
check "after the stream: the raw config" [ "$(jq -r .after_read.config_raw_len "$T/engine.json")" -gt 0 ]
check "after the stream: same id" [ "$(jq -r .after_read.id "$T/engine.json")" = "$id" ]
# The description from inspect + history equals the config from the export, but for the sub-second
# part of history timestamps (the history API has whole seconds).
strip='del(.history[].created)'
check "config after open equals config after the stream" \
        diff <(jq -S ".after_open.config | $strip" "$T/engine.json") <(jq -S ".after_read.config | $strip" "$T/engine.json")
check "history timestamps agree to the second" \
        diff <(jq -r '.after_open.config.history[].created' "$T/engine.json") \
             <(jq -r '.after_read.config.history[].created | sub("\\.[0-9]+Z$"; "Z")' "$T/engine.json")
check "layers' build steps known after open" \
        diff <(jq -c '[.after_open.layers[].created_by]' "$T/engine.json") <(jq -c '[.after_read.layers[].created_by]' "$T/engine.json")
check "every layer read, with the files docker save has" diff <(layer_summary "$T/archive.json") <(layer_summary "$T/engine.json")
check "after the stream: layers name their export members" jq_true "$T/engine.json" '[.after_read.layers[].member | test("layer.tar$")] | all'

check "by image ID" [ "$(fetch "docker:$id" | jq -r .after_open.id)" = "$id" ]
check "by short ID" [ "$(fetch "docker:$(echo "${id#sha256:}" | cut -c1-12)" | jq -r .after_open.id)" = "$id" ]
check "a bare name goes to the engine" [ "$(fetch "$img" | jq -r .after_open.source_kind)" = docker ]
check "skopeo's docker-daemon: prefix" [ "$(fetch "docker-daemon:$img" | jq -r .after_open.id)" = "$id" ]
check "DOCKER_HOST=unix://…" quiet env DOCKER_HOST=unix:///var/run/docker.sock "$FETCH" "docker:$img"

rss=$(max_rss_kib "$FETCH" --read docker:stockade-test/remote-big:1) || fail "big image read failed"
note "peak RSS streaming a 48 MiB layer from the engine: $rss KiB"
# (Under AddressSanitizer the resident set says little: shadow memory and quarantine dominate.)
if [ -z "${ASAN_OPTIONS:-}" ]; then
        check "memory stays bounded (< 40 MiB) for a 48 MiB layer" [ "$rss" -lt 40960 ]
fi

# ---- trouble ----
expect_error "$T/err" fetch docker:stockade-test/no-such-image:1 || fail "found a missing image"
check "missing image" grep -qF "image 'stockade-test/no-such-image:1' not found in the Docker engine" "$T/err"
expect_error "$T/err" fetch docker:stockade-test/remote-app || fail "found an untagged name"
check "no :latest tag: not found" grep -qF "image 'stockade-test/remote-app' not found in the Docker engine" "$T/err"
expect_error "$T/err" fetch 'docker:../../etc/passwd' || fail "accepted a path as a name"
check "invalid name" grep -qF "invalid image name '../../etc/passwd'" "$T/err"
expect_error "$T/err" fetch --docker-host unix://$T/nope.sock "docker:$img" || fail "connected to nothing"
check "engine socket missing" grep -qF "cannot connect to the Docker engine at $T/nope.sock: No such file or directory" "$T/err"
expect_error "$T/err" env DOCKER_HOST=unix://$T/nope.sock "$FETCH" "docker:$img" || fail "connected to nothing"
check "engine socket missing (DOCKER_HOST)" grep -qF "cannot connect to the Docker engine at $T/nope.sock" "$T/err"
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$T/stale.sock"
expect_error "$T/err" fetch --docker-host "unix://$T/stale.sock" "docker:$img" || fail "connected to a stale socket"
check "engine not listening" grep -qF "cannot connect to the Docker engine at $T/stale.sock: Connection refused" "$T/err"
expect_error "$T/err" env DOCKER_HOST=tcp://127.0.0.1:2375 "$FETCH" "docker:$img" || fail "used a TCP engine"
check "TCP engines are not spoken" grep -qF "DOCKER_HOST 'tcp://127.0.0.1:2375' is not supported" "$T/err"
start_engine_proxy "$T/error.sock" "$T/error.log" error
expect_error "$T/err" fetch --docker-host "unix://$T/error.sock" "docker:$img" || fail "ignored an engine error"
check "engine error: its message" grep -qF "the Docker engine at $T/error.sock failed to inspect image '$img': HTTP 500: engine on fire" "$T/err"
start_engine_proxy "$T/garbage.sock" "$T/garbage.log" garbage
expect_error "$T/err" fetch --docker-host "unix://$T/garbage.sock" "docker:$img" || fail "accepted garbage"
check "not an engine" grep -qF "the Docker engine at $T/garbage.sock gave no usable answer for image '$img'" "$T/err"

# ---- the scanner: a second scan finds every layer in its cache and skips the export ----
start_engine_proxy "$T/relay.sock" "$T/relay.log" relay
"$STOCKADE" sbom "docker:$img" --docker-host "unix://$T/relay.sock" --cache-dir "$T/scan-cache" --format json \
        >"$T/sbom1.json" || fail "stockade sbom docker: failed"
check "first scan exported the image" grep -q '/get HTTP' "$T/relay.log"
check "stockade sbom docker: finds the image's dpkg packages" \
        jq_true "$T/sbom1.json" '[.packages[].name] | sort == ["base-files", "busybox-static", "zlib1g"]'
: >"$T/relay.log"
"$STOCKADE" sbom "docker:$img" --docker-host "unix://$T/relay.sock" --cache-dir "$T/scan-cache" --format json \
        >"$T/sbom2.json" || fail "second stockade sbom docker: failed"
check "second scan asked only for the description" [ "$(jq -sc '[.[].request | split(" ")[1] | sub("^/v[0-9.]+"; "")]' "$T/relay.log")" = "[\"/images/$img/json\",\"/images/$id/history\"]" ]
check "and found the same packages" diff <(jq -S .packages "$T/sbom1.json") <(jq -S .packages "$T/sbom2.json")
"$STOCKADE" sbom "docker-archive:$T/app.tar" --format json --no-cache >"$T/sbom-archive.json" || fail "sbom of the archive failed"
check "same packages as from docker save" diff <(jq -S .packages "$T/sbom-archive.json") <(jq -S .packages "$T/sbom1.json")
