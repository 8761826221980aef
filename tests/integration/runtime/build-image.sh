#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds (once; cached by the inputs' hash) the image the runtime tests and bench/sensor-overhead.sh run:
# Debian's static busybox with its applets, tests/integration/runtime/actions (static) and
# bench/sensor-load (static), a passwd/shadow pair. Imported into the engine named by $DOCKER_HOST
# (default: the local one). Prints the image's name. Needs gcc with a static libc, busybox-static.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)
cache=${STOCKADE_TEST_CACHE:-/var/cache/stockade-test}/runtime-image
busybox=$(command -v busybox || echo /bin/busybox)
[ -x "$busybox" ] || { echo "build-image.sh: needs busybox-static" >&2; exit 1; }
hash=$(cat "$here/actions.c" "$src/bench/sensor-load.c" "$0" "$busybox" | sha256sum | cut -c1-12)
name=stockade-test/runtime:$hash
if docker image inspect "$name" >/dev/null 2>&1; then
        echo "$name"
        exit 0
fi
mkdir -p "$cache"
root=$(mktemp -d "$cache/root.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,etc,tmp,mnt,proc,sys,dev,root,usr/bin}
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
        [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
gcc -O2 -static -o "$root/bin/actions" "$here/actions.c"
gcc -O2 -static -o "$root/bin/sensor-load" "$src/bench/sensor-load.c"
# a stand-in package manager (t7010): the image has none, the detectors go by the program's name
printf '#!/bin/sh\nsleep 1\necho "apt-get (stand-in): $*"\n' >"$root/usr/bin/apt-get"
chmod 755 "$root/usr/bin/apt-get"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$root/etc/passwd"
printf 'root:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n' >"$root/etc/shadow"
chmod 640 "$root/etc/shadow"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
echo runtime-test >"$root/etc/hostname"
tar -C "$root" --numeric-owner -c . | docker import -c 'CMD ["/bin/sh"]' - "$name" >/dev/null
echo "$name"
