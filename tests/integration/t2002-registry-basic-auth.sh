#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# registry: with basic authentication (htpasswd, bcrypt) over TLS: credentials from the options, from
# $STOCKADE_REGISTRY_USERNAME/_PASSWORD and from a Docker client config; clear errors without them or
# with wrong ones.
source "$(dirname "$0")/lib.sh"
source "$STOCKADE_SRCDIR/tests/data/image-remote/lib-remote.sh"
need_fetch
need_cmd skopeo docker-registry jq curl openssl htpasswd
remote_images

htpasswd -Bbn alice 's3cret:pw' >"$T/htpasswd" || fail "htpasswd failed"
tls=$(make_cert "$T/tls")
start_registry REG "$tls
auth:
  htpasswd:
    realm: stockade-test
    path: $T/htpasswd"
push stockade-test/remote-app:1 "$REG/private/app:1.0" --dest-creds 'alice:s3cret:pw'
ref="registry:$REG/private/app:1.0"
subject="$REG/private/app:1.0"
unset STOCKADE_REGISTRY_USERNAME STOCKADE_REGISTRY_PASSWORD
export DOCKER_CONFIG=$T/docker-config
mkdir -p "$DOCKER_CONFIG"

expect_error "$T/err" fetch --insecure "$ref" || fail "pulled without credentials"
check "no credentials: says the registry requires them" \
        grep -qF "registry '$REG' requires credentials for '$subject' (401)" "$T/err"

expect_error "$T/err" fetch --insecure --username alice --password wrong "$ref" || fail "pulled with a wrong password"
check "wrong password: refused credentials" grep -qF "registry '$REG' refused credentials for '$subject' (401)" "$T/err"

fetch --insecure --read --threads 3 --username alice --password 's3cret:pw' "$ref" >"$T/opt.json" ||
        fail "pull with --username/--password failed"
check "options: pulled and read every layer" [ "$(jq '.layers_read | length' "$T/opt.json")" = 3 ]

check "environment credentials" quiet env STOCKADE_REGISTRY_USERNAME=alice STOCKADE_REGISTRY_PASSWORD='s3cret:pw' \
        "$FETCH" --insecure --read "$ref"
check "options win over the environment" quiet env STOCKADE_REGISTRY_USERNAME=alice STOCKADE_REGISTRY_PASSWORD=wrong \
        "$FETCH" --insecure --username alice --password 's3cret:pw' "$ref"

auth=$(printf '%s' 'alice:s3cret:pw' | base64 -w0)
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$auth" >"$DOCKER_CONFIG/config.json"
check "docker config, host:port key" quiet fetch --insecure --read "$ref"
printf '{"auths":{"https://%s/v2/":{"auth":"%s"}}}\n' "$REG" "$auth" >"$DOCKER_CONFIG/config.json"
check "docker config, URL key" quiet fetch --insecure "$ref"
mkdir -p "$T/home/.docker"
cp "$DOCKER_CONFIG/config.json" "$T/home/.docker/config.json"
check "~/.docker/config.json when DOCKER_CONFIG is unset" quiet env -u DOCKER_CONFIG HOME="$T/home" "$FETCH" --insecure "$ref"

printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$(printf 'alice:nope' | base64 -w0)" >"$DOCKER_CONFIG/config.json"
expect_error "$T/err" fetch --insecure "$ref" || fail "pulled with wrong config credentials"
check "wrong credentials from the docker config: refused" grep -qF "refused credentials for '$subject' (401)" "$T/err"

printf '{"auths":{"%s":{"auth":"%%%%%%"}}}\n' "$REG" >"$DOCKER_CONFIG/config.json"
expect_error "$T/err" fetch --insecure "$ref" || fail "accepted a malformed config"
check "malformed docker config: names the file" grep -qF "docker config '$DOCKER_CONFIG/config.json' is malformed" "$T/err"

printf '{"auths":{"%s":{}},"credsStore":"secretservice"}\n' "$REG" >"$DOCKER_CONFIG/config.json"
expect_error "$T/err" fetch --insecure "$ref" || fail "pulled without credentials"
check "credential helper: a warning says it is not run" grep -q "docker-credential-secretservice" "$T/err"
check "credential helper: and the error says credentials are required" grep -qF "requires credentials" "$T/err"

# Without insecure the self-signed certificate is refused before any credential is sent.
expect_error "$T/err" fetch --username alice --password 's3cret:pw' "$ref" || fail "accepted a self-signed certificate"
check "TLS verification by default" grep -qi "certificate" "$T/err"

"$STOCKADE" sbom "$ref" --insecure --username alice --password-stdin --format json --no-cache \
        <<<'s3cret:pw' >"$T/sbom.json" || fail "stockade sbom with --password-stdin failed"
check "stockade sbom with credentials writes JSON" jq_true "$T/sbom.json" '.packages | type == "array"'
