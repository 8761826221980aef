#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# registry: with bearer-token authentication: the registry (auth: token, trusting our issuer's certificate)
# sends clients to a token server on loopback (tests/data/image-remote/token-server.py) that checks basic
# credentials and issues signed JWTs. Tokens are fetched once per scope and shared by layer threads,
# renewed when the registry says they expired; identity tokens from a docker config are exchanged by POST.
source "$(dirname "$0")/lib.sh"
source "$STOCKADE_SRCDIR/tests/data/image-remote/lib-remote.sh"
need_fetch
need_cmd skopeo docker-registry jq curl openssl python3
remote_images

start_token_registry REG --user alice:pw1 --user bob:pw2 --refresh-token rt-0123456789 --public-prefix public/
push stockade-test/remote-app:1 "$REG/private/app:1.0" --dest-creds alice:pw1
push stockade-test/remote-base:1 "$REG/public/base:1" --dest-creds alice:pw1
ref="registry:$REG/private/app:1.0"
subject="$REG/private/app:1.0"
unset STOCKADE_REGISTRY_USERNAME STOCKADE_REGISTRY_PASSWORD
export DOCKER_CONFIG=$T/docker-config
mkdir -p "$DOCKER_CONFIG"

check "the registry asks for a bearer token" \
        sh -c "curl -si http://$REG/v2/ | grep -qi '^www-authenticate: Bearer realm=\"http://127.0.0.1:$TOKEN_PORT/token\"'"

expect_error "$T/err" fetch --insecure "$ref" || fail "pulled a private repository anonymously"
check "anonymous: the registry requires credentials" \
        grep -qF "registry '$REG' requires credentials for '$subject' (401)" "$T/err"

expect_error "$T/err" fetch --insecure --username alice --password nope "$ref" || fail "pulled with a wrong password"
check "wrong password: refused credentials" grep -qF "registry '$REG' refused credentials for '$subject' (401)" "$T/err"

: >"$TOKEN_LOG"
fetch --insecure --read --threads 3 --username alice --password pw1 "$ref" >"$T/ok.json" ||
        fail "pull with credentials failed"
check "with credentials: pulled and read 3 layers" [ "$(jq '.layers_read | length' "$T/ok.json")" = 3 ]
check "one token for manifest, config and 3 layers in 3 threads" [ "$(token_requests 'true')" = 1 ]
check "token request named service, scope and user" \
        [ "$(token_requests '.user == "alice" and .service == "stockade-registry" and .scope == ["repository:private/app:pull"]')" = 1 ]

check "public repository: anonymous token is enough" quiet fetch --insecure --read "registry:$REG/public/base:1"

check "credentials from the environment" quiet env STOCKADE_REGISTRY_USERNAME=bob STOCKADE_REGISTRY_PASSWORD=pw2 \
        "$FETCH" --insecure "$ref"

printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$(printf bob:pw2 | base64 -w0)" >"$DOCKER_CONFIG/config.json"
check "credentials from the docker config" quiet fetch --insecure --read "$ref"

: >"$TOKEN_LOG"
printf '{"auths":{"%s":{"auth":"%s","identitytoken":"rt-0123456789"}}}\n' "$REG" \
        "$(printf '<token>:' | base64 -w0)" >"$DOCKER_CONFIG/config.json"
check "identity token from the docker config" quiet fetch --insecure --read "$ref"
check "identity token exchanged with a POST refresh_token grant" [ "$(token_requests '.grant == "refresh_token" and .result == "issued"')" = 1 ]
printf '{"auths":{"%s":{"identitytoken":"rt-wrong"}}}\n' "$REG" >"$DOCKER_CONFIG/config.json"
expect_error "$T/err" fetch --insecure "$ref" || fail "pulled with a wrong identity token"
check "wrong identity token: refused" grep -qF "refused credentials for '$subject'" "$T/err"
rm -f "$DOCKER_CONFIG/config.json"

# Tokens that expire before they said they would: the registry answers 401 invalid_token on the layers,
# and the source renews the token once, for all threads.
# (The registry allows 60 s of leeway past exp: a JWT that "expired" 57 s ago is good for 3 more seconds.)
start_token_registry SREG --user alice:pw1 --real-ttl -57 --ttl 300
push stockade-test/remote-app:1 "$SREG/private/app:1.0" --dest-creds alice:pw1
: >"$TOKEN_LOG"
check "expired token renewed while reading layers" \
        quiet fetch --insecure --read --threads 3 --delay 5 --username alice --password pw1 "registry:$SREG/private/app:1.0"
check "exactly one renewal for 3 threads" [ "$(token_requests '.result == "issued"')" = 2 ]

"$STOCKADE" sbom "$ref" --insecure --username alice --password-stdin --format json --no-cache <<<pw1 >"$T/sbom.json" ||
        fail "stockade sbom through a token registry failed"
check "stockade sbom through a token registry writes JSON" jq_true "$T/sbom.json" '.packages | type == "array"'
