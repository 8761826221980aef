#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Response latency and overhead (figures go to bench/results-respond.md). Run as root, after a build:
#   bench/respond-latency.sh [TRIALS]        (default 1000)
# 1. detection -> kill, >= TRIALS trials of each path (build/tests/integration/runtime/respond-probe
#    bench-kill): in the kernel (exec hook's bpf_ktime_get_ns -> the parent sees the process gone through
#    its pidfd) and from user space (respond_kill() called -> pidfd readable);
# 2. the exec guard: TRIALS execs inside a container with and without the guard (fanotify
#    FAN_OPEN_EXEC_PERM on its root filesystem, a decider that allows), same run, alternating rounds;
# 3. connect+accept over loopback in a cgroup with and without the connect programs (same run ratio).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
probe=${RESPOND_PROBE:-$src/build/tests/integration/runtime/respond-probe}
n=${1:-1000}
[ "$(id -u)" = 0 ] || { echo "respond-latency.sh: needs root" >&2; exit 1; }
[ -x "$probe" ] || { echo "respond-latency.sh: no $probe (build first)" >&2; exit 1; }

echo "## kill latency ($n trials each)"
"$probe" bench-kill "$n"

echo "## exec guard"
img=$("$src/tests/integration/runtime/build-image.sh")
c=respond-bench-$$
trap 'docker rm -f $c >/dev/null 2>&1; [ -n "${sp:-}" ] && kill -INT $sp 2>/dev/null; true' EXIT
docker run -d --name "$c" "$img" sleep 3600 >/dev/null
pid=$(docker inspect -f '{{.State.Pid}}' "$c")
id=$(docker inspect -f '{{.Id}}' "$c")
loop="i=0; while [ \$i -lt $n ]; do /bin/true; i=\$((i+1)); done"
run_loop() { # prints the microseconds one docker exec running the N execs took (busybox date has no %N)
        local s e
        s=$(date +%s%N)
        docker exec "$c" sh -c "$loop"
        e=$(date +%s%N)
        echo $(((e - s) / 1000))
}
off=0 on=0
for round in 1 2 3; do
        t=$(run_loop); off=$((off + t))
        "$probe" serve --pid "$pid" --id "$id" --deny-exec /nonexistent >"/tmp/respond-bench-$$.out" 2>&1 &
        sp=$!
        for _ in $(seq 100); do grep -q ready "/tmp/respond-bench-$$.out" && break; sleep 0.1; done
        t=$(run_loop); on=$((on + t))
        kill -INT $sp; wait $sp || true; sp=
        grep '^guard' "/tmp/respond-bench-$$.out" | sed "s/^/round $round: /"
done
rm -f "/tmp/respond-bench-$$.out"
awk -v off="$off" -v on="$on" -v n="$n" 'BEGIN {
        printf "fork+exec of /bin/true in the container: without %.1f us, with the guard %.1f us, ratio %.3f, added %.1f us per exec (3 rounds of %d, one docker exec each)\n",
                off / 3 / n, on / 3 / n, on / off, (on - off) / 3 / n, n }'

echo "## connect"
"$probe" bench-connect $((n * 10))
