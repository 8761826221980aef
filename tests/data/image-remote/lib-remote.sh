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

STOCKADE_BUILDDIR=${STOCKADE_BUILDDIR:-$(dirname "$STOCKADE")/../..}
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
