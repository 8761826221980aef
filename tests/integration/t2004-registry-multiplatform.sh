#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# registry: multi-platform images. An OCI index (hand-written by make-index.py over skopeo- and umoci-made
# layouts) lists linux/amd64 (remote-app, 3 layers), linux/arm64/v8 (remote-base with its config
# rewritten by umoci, 1 layer) and a BuildKit-style attestation entry; the same as a Docker manifest
# list; and an index nested in an index. --platform picks; a missing platform is a clear error.
source "$(dirname "$0")/lib.sh"
source "$STOCKADE_SRCDIR/tests/data/image-remote/lib-remote.sh"
need_fetch
need_cmd skopeo umoci docker-registry jq curl python3
remote_images

L=$T/layout
skopeo copy -q docker-daemon:stockade-test/remote-app:1 "oci:$L:amd64" || fail "skopeo copy failed"
skopeo copy -q docker-daemon:stockade-test/remote-base:1 "oci:$L:base" || fail "skopeo copy failed"
umoci config --image "$L:base" --tag arm64 --architecture arm64 --os linux || fail "umoci config failed"
index=$(python3 "$REMOTE_DATA/make-index.py" "$L" multi amd64=linux/amd64 arm64=linux/arm64/v8 \
        --attestation base --nest nested) || fail "make-index failed"
manifest_of() { jq -r --arg t "$1" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$L/index.json"; }
amd64=$(manifest_of amd64)
arm64=$(manifest_of arm64)

start_registry REG
skopeo copy -q --all --dest-tls-verify=false "oci:$L:multi" "docker://$REG/multi:1" || fail "push of the index failed"
skopeo copy -q --all --format v2s2 --dest-tls-verify=false "oci:$L:multi" "docker://$REG/multi-docker:1" ||
        fail "push as a Docker manifest list failed"
# Nested: skopeo does not copy an index of indexes, so the outer one is PUT by hand.
skopeo copy -q --all --dest-tls-verify=false "oci:$L:multi" "docker://$REG/nested:inner" || fail "push failed"
outer=$(manifest_of nested)
curl -sf -X PUT -H "Content-Type: application/vnd.oci.image.index.v1+json" \
        --data-binary "@$L/blobs/sha256/${outer#sha256:}" "http://$REG/v2/nested/manifests/1" || fail "PUT of the nested index failed"
check "the registry serves an OCI index" \
        [ "$(curl -s -H 'Accept: application/vnd.oci.image.index.v1+json' "http://$REG/v2/multi/manifests/1" | jq -r .mediaType)" = application/vnd.oci.image.index.v1+json ]
check "and a Docker manifest list" \
        [ "$(curl -s -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' "http://$REG/v2/multi-docker/manifests/1" | jq -r .mediaType)" = application/vnd.docker.distribution.manifest.list.v2+json ]

summary() { jq -r '.after_open | "\(.platform) \(.config.architecture) \(.layers | length) \(.manifest_digest)"' "$1"; }

fetch --insecure --read "registry:$REG/multi:1" >"$T/default.json" || fail "default platform pull failed"
check "default platform is linux/amd64" [ "$(summary "$T/default.json")" = "linux/amd64 amd64 3 $amd64" ]
check "repo digest is the index's" [ "$(jq -r '.after_open.repo_digests[0]' "$T/default.json")" = "$REG/multi@$index" ]
check "amd64 layers read" [ "$(jq '.layers_read | length' "$T/default.json")" = 3 ]

fetch --insecure --read --platform linux/arm64 "registry:$REG/multi:1" >"$T/arm.json" || fail "arm64 pull failed"
check "--platform linux/arm64 picks the arm64 image" [ "$(summary "$T/arm.json")" = "linux/arm64/v8 arm64 1 $arm64" ]
check "arm64 layer read" [ "$(jq '.layers_read | length' "$T/arm.json")" = 1 ]
fetch --insecure --platform linux/arm64/v8 "registry:$REG/multi:1" >"$T/armv8.json" || fail "arm64/v8 pull failed"
check "--platform linux/arm64/v8 too" [ "$(summary "$T/armv8.json")" = "linux/arm64/v8 arm64 1 $arm64" ]

expect_error "$T/err" fetch --insecure --platform linux/arm64/v7 "registry:$REG/multi:1" || fail "picked a wrong variant"
check "a variant that is not there" grep -q "has no image for platform linux/arm64/v7" "$T/err"
expect_error "$T/err" fetch --insecure --platform linux/s390x "registry:$REG/multi:1" || fail "picked a missing platform"
check "a platform that is not there" grep -q "index 'sha256:.*' of '$REG/multi:1' has no image for platform linux/s390x" "$T/err"
expect_error "$T/err" fetch --insecure --platform linux "registry:$REG/multi:1" || fail "accepted a bad platform"
check "a malformed platform" grep -q "invalid platform 'linux'" "$T/err"

fetch --insecure --platform linux/arm64 "registry:$REG/multi-docker:1" >"$T/dl.json" || fail "manifest list pull failed"
check "Docker manifest list: --platform linux/arm64" [ "$(summary "$T/dl.json" | cut -d' ' -f1-3)" = "linux/arm64/v8 arm64 1" ]
fetch --insecure "registry:$REG/multi-docker:1" >"$T/dl2.json" || fail "manifest list pull failed"
check "Docker manifest list: default" [ "$(summary "$T/dl2.json" | cut -d' ' -f1-3)" = "linux/amd64 amd64 3" ]

fetch --insecure --platform linux/arm64 "registry:$REG/multi@$index" >"$T/byidx.json" || fail "pull by index digest failed"
check "by index digest" [ "$(summary "$T/byidx.json")" = "linux/arm64/v8 arm64 1 $arm64" ]
fetch --insecure --platform linux/arm64 "registry:$REG/multi@$amd64" >"$T/byman.json" || fail "pull by manifest digest failed"
check "by a platform manifest's digest: that image, whatever --platform says" \
        [ "$(summary "$T/byman.json")" = "linux/amd64 amd64 3 $amd64" ]
check "and a warning that it is not the platform asked for" \
        sh -c "'$FETCH' --insecure --platform linux/arm64 'registry:$REG/multi@$amd64' 2>&1 >/dev/null | grep -q 'is for linux/amd64, not the requested linux/arm64'"

fetch --insecure --read "registry:$REG/nested:1" >"$T/nested.json" || fail "nested index pull failed"
check "index nested in an index" [ "$(summary "$T/nested.json")" = "linux/amd64 amd64 3 $amd64" ]

"$STOCKADE" sbom "registry:$REG/multi:1" --insecure --platform linux/arm64 --format json --no-cache >"$T/sbom.json" ||
        fail "stockade sbom --platform failed"
check "stockade sbom --platform linux/arm64 writes JSON" jq_true "$T/sbom.json" '.packages | type == "array"'
