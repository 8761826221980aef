# SPDX-License-Identifier: Apache-2.0
# Helpers for the registry and engine integration scripts (t2xxx), sourced after tests/integration/lib.sh.
#
#   remote_images          builds (once, cached in the engine) the test images:
#                            stockade-test/remote-base:1  one layer: busybox, os-release, a dpkg database
#                            stockade-test/remote-app:1   remote-base plus 3 layers and a rich config
#   free_port              prints a free TCP port on 127.0.0.1
#   start_registry VAR [AUTH-YAML]
#                          starts Debian's docker-registry on a free loopback port with storage in $T,
#                          sets VAR to host:port; AUTH-YAML is inserted under the config's top level
#   push IMAGE HOST/REPO:TAG [skopeo args…]
#                          copies an engine image into a registry (plain HTTP)
#   fetch ARGS…            runs the test driver stockade-image-fetch (tests/unit/image-remote)

STOCKADE_BUILDDIR=${STOCKADE_BUILDDIR:-$(dirname "$STOCKADE")}
FETCH=${FETCH:-$STOCKADE_BUILDDIR/tests/unit/image-remote/stockade-image-fetch}
REMOTE_DATA=$STOCKADE_SRCDIR/tests/data/image-remote

need_fetch() { [ -x "$FETCH" ] || fail "no test driver at $FETCH (build first)"; }
fetch() { "$FETCH" "$@"; }

free_port() {
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL: until it answers at all (any status), at most 20 s.
wait_http() {
        local i
        for i in $(seq 100); do
                curl -s -o /dev/null -k "$1" && return 0
                sleep 0.2
        done
        return 1
}

start_registry() {
        local var=$1 auth=${2:-} port dir
        need_cmd docker-registry
        port=$(free_port)
        dir=$(mktemp -d "$T/registry.XXXX")
        cat >"$dir/config.yml" <<EOC
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
${auth}
EOC
        docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
        local pid=$!
        at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
        wait_http "http://127.0.0.1:$port/v2/" || { cat "$dir/log" >&2; fail "registry did not start"; }
        printf -v "$var" '%s' "127.0.0.1:$port"
        REGISTRY_DIR=$dir
}

push() {
        local img=$1 dest=$2
        shift 2
        skopeo copy -q --dest-tls-verify=false "$@" "docker-daemon:$img" "docker://$dest" >&2 ||
                fail "cannot push $img to $dest"
}

_build_base_rootfs() {
        local root=$1
        mkdir -p "$root"/{bin,etc,tmp,root,var/lib/dpkg/info,usr/share/doc}
        cp /bin/busybox "$root/bin/busybox"
        local c
        for c in sh ls cat echo mkdir true false id env chmod rm; do
                ln -s busybox "$root/bin/$c"
        done
        cp "$REMOTE_DATA/os-release" "$root/etc/os-release"
        cp "$REMOTE_DATA/dpkg-status" "$root/var/lib/dpkg/status"
        printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
        printf 'root:x:0:\n' >"$root/etc/group"
        printf '/bin/busybox\n' >"$root/var/lib/dpkg/info/busybox-static.list"
}

remote_images() {
        need_docker
        if ! docker image inspect stockade-test/remote-base:1 >/dev/null 2>&1; then
                [ -x /bin/busybox ] || skip "needs busybox-static (apt-get install busybox-static)"
                local root=$T/base-root
                _build_base_rootfs "$root"
                tar -C "$root" --numeric-owner --owner=0 --group=0 -cf "$T/base.tar" . ||
                        fail "cannot pack the base image"
                docker import -c 'CMD ["/bin/sh"]' "$T/base.tar" stockade-test/remote-base:1 >/dev/null ||
                        fail "docker import failed"
        fi
        if ! docker image inspect stockade-test/remote-app:1 >/dev/null 2>&1; then
                DOCKER_BUILDKIT=0 docker build -q 2>/dev/null -t stockade-test/remote-app:1 "$REMOTE_DATA/app" >/dev/null ||
                        fail "cannot build stockade-test/remote-app:1"
        fi
}

# stockade-test/remote-big:1: one layer holding 48 MiB of random bytes, so a blob that cannot fit in the
# stream buffers (and does not compress).
remote_big_image() {
        need_docker
        if ! docker image inspect stockade-test/remote-big:1 >/dev/null 2>&1; then
                mkdir -p "$T/big-root/data"
                head -c $((48 * 1024 * 1024)) /dev/urandom >"$T/big-root/data/random.bin"
                echo small >"$T/big-root/data/small.txt"
                tar -C "$T/big-root" --numeric-owner --owner=0 --group=0 -cf "$T/big.tar" .
                docker import "$T/big.tar" stockade-test/remote-big:1 >/dev/null || fail "docker import failed"
                rm -rf "$T/big-root" "$T/big.tar"
        fi
}

# max_rss_kib CMD…: runs CMD (stdout to /dev/null) and prints its peak resident set in KiB.
max_rss_kib() {
        python3 -c '
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
if r.returncode != 0:
    sys.exit(r.returncode)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
}

# layer_summary FILE: "diff_id files" per layer read, one line each, from stockade-image-fetch --read.
layer_summary() { jq -r '.layers_read[] | "\(.diff_id) \(.files)"' "$1"; }

# jq_true FILE FILTER: the filter yields true (quietly).
jq_true() { jq -e "$2" "$1" >/dev/null; }
# quiet CMD…: runs CMD with its standard output discarded.
quiet() { "$@" >/dev/null; }
# expect_error FILE CMD…: CMD must fail with exit status 2; its standard error goes to FILE (and the log).
expect_error() {
        local f=$1 rc=0
        shift
        "$@" >/dev/null 2>"$f" || rc=$?
        note "$(tail -n 3 "$f")"
        [ "$rc" = 2 ] || { echo "expected exit 2, got $rc" >&2; return 1; }
}

# make_cert PREFIX: a self-signed certificate for 127.0.0.1 (PREFIX.crt, PREFIX.key); prints the YAML that
# turns TLS on in start_registry's second argument.
make_cert() {
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
                -keyout "$1.key" -out "$1.crt" 2>/dev/null || fail "openssl req failed"
        printf '  tls:\n    certificate: %s\n    key: %s\n' "$1.crt" "$1.key"
}

# start_token_registry VAR [token-server args…]: a token server (token-server.py) and a registry that
# trusts it, on free loopback ports. Sets VAR to the registry's host:port, TOKEN_LOG to the server's
# request log (JSON lines) and TOKEN_PORT.
start_token_registry() {
        local var=$1 dir
        shift
        need_cmd python3 openssl
        python3 -c 'import cryptography' 2>/dev/null || skip "needs python3-cryptography"
        dir=$(mktemp -d "$T/token.XXXX")
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=stockade-token-issuer \
                -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null || fail "openssl req failed"
        TOKEN_LOG=$dir/requests.log
        : >"$TOKEN_LOG"
        python3 "$REMOTE_DATA/token-server.py" --key "$dir/key.pem" --cert "$dir/cert.pem" --log "$TOKEN_LOG" \
                --port-file "$dir/port" "$@" >"$dir/server.log" 2>&1 &
        local pid=$!
        at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
        local i
        for i in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.1; done
        [ -s "$dir/port" ] || { cat "$dir/server.log" >&2; fail "token server did not start"; }
        TOKEN_PORT=$(cat "$dir/port")
        start_registry "$var" "auth:
  token:
    realm: http://127.0.0.1:$TOKEN_PORT/token
    service: stockade-registry
    issuer: stockade-test-issuer
    rootcertbundle: $dir/cert.pem"
}

# token_requests FILTER: how many logged token requests match the jq FILTER (made by stockade).
token_requests() { jq -s "[.[] | select(.agent | startswith(\"stockade/\")) | select($1)] | length" "$TOKEN_LOG"; }

# start_fake_registry VAR LAYOUT TAG: fake-registry.py serving the OCI layout's image TAG (as tag "1" of
# every fault repository); sets VAR to host:port and FAKE_LOG to its request log (JSON lines).
start_fake_registry() {
        local var=$1 dir
        dir=$(mktemp -d "$T/fake.XXXX")
        FAKE_LOG=$dir/requests.log
        : >"$FAKE_LOG"
        python3 "$REMOTE_DATA/fake-registry.py" "$2" "$3" "$dir/port" "$FAKE_LOG" >"$dir/log" 2>&1 &
        local pid=$!
        at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
        local i
        for i in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.1; done
        [ -s "$dir/port" ] || { cat "$dir/log" >&2; fail "fake registry did not start"; }
        printf -v "$var" '%s' "127.0.0.1:$(cat "$dir/port")"
}

# start_engine_proxy SOCKET LOG MODE: engine-proxy.py on a unix socket (see its header for modes).
start_engine_proxy() {
        python3 "$REMOTE_DATA/engine-proxy.py" "$1" "$2" "$3" >>"$2.err" 2>&1 &
        local pid=$! i
        at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
        for i in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.1; done
        fail "engine proxy did not start"
}
