#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# registry: pulls from a real registry (Debian's docker-registry, anonymous, plain HTTP and TLS):
# metadata matches what the engine and skopeo say, layers stream with digests checked, several threads
# at once, in bounded memory; by tag, by digest, Docker and OCI manifests.
source "$(dirname "$0")/lib.sh"
source "$STOCKADE_SRCDIR/tests/data/image-remote/lib-remote.sh"
need_fetch
need_cmd skopeo docker-registry jq curl openssl
remote_images
remote_big_image

start_registry REG
push stockade-test/remote-app:1 "$REG/app:1.0"
push stockade-test/remote-app:1 "$REG/team/app-oci:1.0" --format oci
push stockade-test/remote-big:1 "$REG/big:1"

# What the engine says about the image, and what `docker save` holds.
docker image inspect stockade-test/remote-app:1 >"$T/inspect.json"
id=$(jq -r '.[0].Id' "$T/inspect.json")
docker save stockade-test/remote-app:1 -o "$T/app.tar"
fetch --read "docker-archive:$T/app.tar" >"$T/archive.json"
digest=$(skopeo inspect --tls-verify=false "docker://$REG/app:1.0" | jq -r .Digest)

fetch --insecure --read --threads 3 "registry:$REG/app:1.0" >"$T/reg.json"
check "image id is the engine's" [ "$(jq -r .after_open.id "$T/reg.json")" = "$id" ]
check "diff_ids are the engine's RootFS.Layers" \
        [ "$(jq -c '[.after_open.layers[].diff_id]' "$T/reg.json")" = "$(jq -c '.[0].RootFS.Layers' "$T/inspect.json")" ]
check "manifest digest is skopeo's" [ "$(jq -r .after_open.manifest_digest "$T/reg.json")" = "$digest" ]
check "repo digest names repository and digest" \
        [ "$(jq -r '.after_open.repo_digests[0]' "$T/reg.json")" = "$REG/app@$digest" ]
check "repo tag and name" [ "$(jq -r '.after_open.repo_tags[0] + " " + .after_open.name' "$T/reg.json")" = "$REG/app:1.0 $REG/app:1.0" ]
check "platform" [ "$(jq -r .after_open.platform "$T/reg.json")" = linux/amd64 ]
check "source is random access" [ "$(jq -r .random_access "$T/reg.json")" = true ]
check "config carries the Dockerfile's settings" \
        [ "$(jq -c '.after_open.config | [.user, .working_dir, .labels["org.example.team"], .exposed_ports, .stop_signal]' "$T/reg.json")" = \
          '["1000","/app","blue",["8080/tcp","9090/udp"],"SIGTERM"]' ]
check "layers carry their build step" \
        jq_true "$T/reg.json" '.after_open.layers[1].created_by | test("mkdir -p /app/data")'
check "every layer was read with the same files as from docker save" \
        diff <(layer_summary "$T/archive.json") <(layer_summary "$T/reg.json")
check "layer digests are the registry's blobs" \
        [ "$(jq -c '[.layers_read[].digest]' "$T/reg.json")" = "$(jq -c '[.after_open.layers[].digest]' "$T/reg.json")" ]

# By digest, by tag and digest, and through the "localhost" name.
fetch --insecure "registry:$REG/app@$digest" >"$T/bydigest.json"
check "pull by digest" [ "$(jq -r .after_open.id "$T/bydigest.json")" = "$id" ]
check "name by digest" [ "$(jq -r .after_open.name "$T/bydigest.json")" = "$REG/app@$digest" ]
fetch --insecure "registry:$REG/app:1.0@$digest" >"$T/both.json"
check "pull by tag and digest" [ "$(jq -r .after_open.manifest_digest "$T/both.json")" = "$digest" ]
port=${REG##*:}
check "localhost name" quiet fetch --insecure --read "registry:localhost:$port/app:1.0"

# OCI manifests and media types.
fetch --insecure --read --threads 2 "registry:$REG/team/app-oci:1.0" >"$T/oci.json"
check "OCI image (config converted by skopeo): same diff_ids" \
        [ "$(jq -c '.after_open.config.diff_ids' "$T/oci.json")" = "$(jq -c '.[0].RootFS.Layers' "$T/inspect.json")" ]
check "OCI layer media type" \
        [ "$(jq -r '.after_open.layers[0].media_type' "$T/oci.json")" = application/vnd.oci.image.layer.v1.tar+gzip ]
check "OCI image: same files" diff <(layer_summary "$T/archive.json") <(layer_summary "$T/oci.json")

# Reading a little of each layer and closing mid-transfer is clean (no hang, no error, no leak).
check "partial reads from 3 threads" quiet fetch --insecure --partial --threads 3 "registry:$REG/app:1.0"

# A 48 MiB incompressible layer streams through bounded buffers.
rss=$(max_rss_kib "$FETCH" --insecure --read "registry:$REG/big:1") || fail "big image pull failed"
note "peak RSS reading a 48 MiB layer: $rss KiB"
# (Under AddressSanitizer the resident set says little: shadow memory and quarantine dominate.)
if [ -z "${ASAN_OPTIONS:-}" ]; then
        check "memory stays bounded (< 40 MiB) for a 48 MiB layer" [ "$rss" -lt 40960 ]
fi

# Plain HTTP only when insecure: otherwise https, which this registry does not speak.
if fetch "registry:$REG/app:1.0" >/dev/null 2>"$T/err"; then fail "pulled from a plain-HTTP registry without --insecure"; fi
note "$(cat "$T/err")"
check "without insecure: a TLS error naming the registry" grep -q "registry '$REG': TLS handshake failed: the server does not speak TLS (plain HTTP is allowed only in insecure mode)" "$T/err"

# TLS with a self-signed certificate: works when insecure (no verification), refused otherwise.
start_registry TREG "$(make_cert "$T/tls")"
push stockade-test/remote-app:1 "$TREG/app:1.0"
check "TLS registry, insecure (unverified)" quiet fetch --insecure --read "registry:$TREG/app:1.0"
if fetch "registry:$TREG/app:1.0" >/dev/null 2>"$T/err"; then fail "accepted a self-signed certificate"; fi
note "$(cat "$T/err")"
check "TLS registry, verified: certificate refused" grep -qi "certificate" "$T/err"

# The command line, once it can write SBOMs: same packages as from the saved archive.
"$STOCKADE" sbom "registry:$REG/app:1.0" --insecure --format json --no-cache >"$T/sbom-reg.json" ||
        fail "stockade sbom registry: failed"
"$STOCKADE" sbom "docker-archive:$T/app.tar" --format json --no-cache >"$T/sbom-archive.json" ||
        fail "stockade sbom docker-archive: failed"
check "stockade sbom registry: writes JSON with the image's dpkg packages" \
        jq_true "$T/sbom-reg.json" '[.packages[].name] | sort == ["base-files", "busybox-static", "zlib1g"]'
check "stockade sbom registry: the image's identity" \
        jq_true "$T/sbom-reg.json" ".target.id == \"$id\" and .target.manifest_digest == \"$digest\" and .os.id == \"debian\""
check "stockade sbom: same packages from the registry as from docker save" \
        diff <(jq -S '.packages' "$T/sbom-archive.json") <(jq -S '.packages' "$T/sbom-reg.json")
note "packages found: $(jq '.packages | length' "$T/sbom-reg.json")"
