#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# registry: what goes wrong, said clearly. A real registry for missing tags and repositories; a fake one
# (tests/data/image-remote/fake-registry.py) for corrupt blobs, configs and manifests, lying headers, huge
# or endless bodies, stalls, redirect loops and redirects to blob storage (which must not see our
# credentials), rate limits and server errors.
source "$(dirname "$0")/lib.sh"
source "$STOCKADE_SRCDIR/tests/data/image-remote/lib-remote.sh"
need_fetch
need_cmd skopeo docker-registry jq curl python3
remote_images

# Error: exit status 2 and a message matching the pattern (grep -E) on standard error.
fails_with() {
        local pattern=$1
        shift
        expect_error "$T/err" "$@" || return 1
        grep -qE -- "$pattern" "$T/err" || { echo "no match for: $pattern" >&2; return 1; }
}

# ---- a real registry ----
start_registry REG
push stockade-test/remote-app:1 "$REG/app:1.0"
check "missing tag: manifest unknown" \
        fails_with "registry '$REG' has no manifest for '$REG/app:missing' \(404 manifest unknown\)" fetch --insecure "registry:$REG/app:missing"
check "missing repository: not found" \
        fails_with "repository '$REG/nope' not found in registry '$REG'" fetch --insecure "registry:$REG/nope:1"
check "missing digest" \
        fails_with "registry '$REG' has no manifest for '$REG/app@sha256:0{64}'" fetch --insecure "registry:$REG/app@sha256:$(printf '0%.0s' $(seq 64))"
check "malformed reference" fails_with "invalid image reference '$REG/App:1': repository names must be lowercase" \
        fetch --insecure "registry:$REG/App:1"
check "sha512 digest: unsupported" fails_with "only sha256 digests are supported" \
        fetch --insecure "registry:$REG/app@sha512:$(printf 'ab%.0s' $(seq 64))"
port=$(free_port)
check "nothing listening: connection refused" \
        fails_with "cannot fetch the manifest of '127.0.0.1:$port/app:1' from registry '127.0.0.1:$port': .*Connection refused" \
        fetch --insecure "registry:127.0.0.1:$port/app:1"
check "unresolvable host" fails_with "registry 'no-such-host.invalid'" fetch --insecure "registry:no-such-host.invalid/app:1"

# ---- a fake registry ----
skopeo copy -q docker-daemon:stockade-test/remote-app:1 "oci:$T/layout:app" || fail "skopeo copy failed"
start_fake_registry FAKE "$T/layout" app
f() { printf 'registry:%s/%s/app:1' "$FAKE" "$1"; }
last=$(jq -r '.layers[-1].digest' "$T/layout/blobs/sha256/$(jq -r '.manifests[0].digest' "$T/layout/index.json" | cut -d: -f2)")

check "the fake serves a good image" quiet fetch --insecure --read --threads 2 "$(f good)"
check "corrupt layer: digest mismatch names the layer" \
        fails_with "layer '$last' of '$FAKE/corrupt-blob/app:1' from registry '$FAKE' is corrupt: its digest is sha256:" \
        fetch --insecure --read "$(f corrupt-blob)"
check "truncated layer" fails_with "cannot read layer '$last' of '$FAKE/short-blob/app:1' from registry '$FAKE': connection broken" \
        fetch --insecure --read "$(f short-blob)"
check "layer longer than its descriptor" \
        fails_with "announces [0-9]+ bytes for layer '$last'" fetch --insecure --read "$(f long-blob)"
check "corrupt config" fails_with "image config is corrupt: digest is sha256:.*, expected sha256:" \
        fetch --insecure "$(f corrupt-config)"
check "lying Docker-Content-Digest" fails_with "manifest '1' of '$FAKE/bad-dcd/app:1' from registry '$FAKE' is corrupt: .*the registry says sha256:0{64}" \
        fetch --insecure "$(f bad-dcd)"
mdigest=$(jq -r '.manifests[0].digest' "$T/layout/index.json")
check "manifest pulled by digest does not hash to it" \
        fails_with "manifest '$mdigest' of '$FAKE/corrupt-manifest/app@$mdigest' from registry '$FAKE' is corrupt: its digest is" \
        fetch --insecure "registry:$FAKE/corrupt-manifest/app@$mdigest"
check "huge manifest (Content-Length): too large" fails_with "manifest.* of '$FAKE/huge-manifest/app:1'.* is too large \(limit 8388608 bytes\)" fetch --insecure "$(f huge-manifest)"
check "endless manifest (chunked): too large" fails_with "manifest.* of '$FAKE/endless-manifest/app:1'.* is too large \(limit 8388608 bytes\)" fetch --insecure "$(f endless-manifest)"
check "schema 1 manifest: unsupported" fails_with "uses Docker schema 1, which is not supported" fetch --insecure "$(f schema1)"
check "manifest that is not JSON" fails_with "manifest '1' of '$FAKE/bad-json/app:1' is not a JSON object" fetch --insecure "$(f bad-json)"
check "redirect loop" fails_with "more than 5 redirects" fetch --insecure "$(f redirect-loop)"
check "429: rate limited" fails_with "registry '$FAKE' is rate-limiting pulls of '$FAKE/rate/app:1' \(429\)" fetch --insecure "$(f rate)"
check "500: the registry's message" fails_with "HTTP 500 UNKNOWN: database on fire" fetch --insecure "$(f error500)"
check "403: denied" fails_with "registry '$FAKE' denied access to '$FAKE/denied/app:1' \(403\)" fetch --insecure "$(f denied)"
check "unparsable challenge" fails_with "refused access to '$FAKE/garbage-challenge/app:1' \(401\) without a usable challenge" \
        fetch --insecure "$(f garbage-challenge)"

start=$(date +%s)
check "stalled manifest: timeout" fails_with "timed out serving the manifest of .*: no data for 2 seconds" \
        env STOCKADE_REGISTRY_TIMEOUT=2 "$FETCH" --insecure "$(f slow)"
check "stalled layer: timeout naming the layer" fails_with "registry '$FAKE' timed out sending layer 'sha256:" \
        env STOCKADE_REGISTRY_TIMEOUT=2 "$FETCH" --insecure --read "$(f slow-blob)"
check "timeouts took seconds, not minutes" [ $(($(date +%s) - start)) -lt 30 ]

# Wrong credentials, and blobs redirected to storage on another origin.
check "redirect-blob repository needs credentials" fails_with "requires credentials" fetch --insecure "$(f redirect-blob)"
check "wrong credentials: refused" fails_with "registry '$FAKE' refused credentials for '$FAKE/redirect-blob/app:1' \(401\)" \
        fetch --insecure --username user --password wrong "$(f redirect-blob)"
: >"$FAKE_LOG"
check "blobs through a redirect to storage" quiet fetch --insecure --read --threads 2 --username user --password pass "$(f redirect-blob)"
check "storage served the config and the layers" [ "$(jq -s '[.[] | select(.storage)] | length' "$FAKE_LOG")" = 4 ]
check "storage never saw the Authorization header" [ "$(jq -s '[.[] | select(.storage and .auth != null)] | length' "$FAKE_LOG")" = 0 ]
check "the registry itself got credentials" [ "$(jq -s '[.[] | select(.path and .auth != null)] | length' "$FAKE_LOG")" -ge 5 ]
