#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What the network micro-perimeters cost allowed traffic, and how fast they change at scale.
#
#   1. two containers on a user-defined bridge network (client, server); rounds alternate "none" (no
#      agent), "off" (`stockade agent --netpol`, no policy: learning, the protocol capture attached to
#      both containers' cgroups, no table) and "on" (the agent with a protect policy allowing client →
#      server on the measured ports, applied in both namespaces); in each: iperf3 throughput (client →
#      server, TCP, 5 s), and request/response latency with bench/netpol-rr: rr (one connection: the
#      established fast path) and crr (a new connection per round trip: the first packet walks the
#      perimeter and the capture hands out the first payloads). The tools are the host's, run with
#      nsenter in the containers' network namespaces and moved into their cgroups (so the capture's
#      cgroup programs see their sockets). Medians of the rounds; ratios from the same run.
#   2. bench/netpol-scale: N network namespaces with one perimeter each: install, a replica of a peer
#      workload starting (set refill in all N), a mode switch (rebuild of all N).
#
# Usage: bench/netpol.sh [--rounds N] [--seconds S] [--scale N]
# Needs root, dockerd, nsenter, iperf3, gcc, a built stockade (build/stockade, build/bench/netpol-scale).
# Prints a Markdown report on stdout; copy it into bench/results-netpol.md.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
STOCKADE=${STOCKADE:-$src/build/stockade}
SCALE_BIN=${SCALE_BIN:-$src/build/bench/netpol-scale}
rounds=5 seconds=5 scale=1000 rr_n=20000 crr_n=3000
while [ $# -gt 0 ]; do
        case $1 in
        --rounds) rounds=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --scale) scale=$2; shift 2 ;;
        *) echo "usage: $0 [--rounds N] [--seconds S] [--scale N]" >&2; exit 2 ;;
        esac
done
for c in docker nsenter iperf3 gcc jq; do command -v $c >/dev/null || { echo "needs $c" >&2; exit 2; }; done
IMG=$("$src/tests/integration/runtime/build-image.sh")

W=$(mktemp -d /tmp/netpol-bench.XXXXXX)
P=npbench-$$
NET=$P-net
AGENT=
cleanup() {
        [ -n "$AGENT" ] && kill -INT "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null
        # shellcheck disable=SC2086 # two pids
        [ -n "${SRV_PIDS:-}" ] && kill $SRV_PIDS 2>/dev/null
        docker rm -f "$P-server" "$P-client" >/dev/null 2>&1
        docker network rm "$NET" >/dev/null 2>&1
        rm -rf "$W"
}
trap cleanup EXIT
gcc -O2 -o "$W/netpol-rr" "$src/bench/netpol-rr.c"
cg2=$(awk '$0 ~ / - cgroup2 / {print $5; exit}' /proc/self/mountinfo)
[ -n "$cg2" ] || { echo "needs a cgroup2 mount (the capture attaches there)" >&2; exit 2; }
cg_of() { echo "$cg2$(sed -n 's/^0:://p' "/proc/$1/cgroup")"; }
# in_ctr PID CMD…: CMD in the network namespace and the (v2) cgroup of container process PID
in_ctr_cmd='echo $$ >"$0/cgroup.procs" && exec nsenter -n -t "$@"'
in_ctr() {
        local pid=$1
        shift
        bash -c "$in_ctr_cmd" "$(cg_of "$pid")" "$pid" "$@"
}

docker network create "$NET" >/dev/null
for r in server client; do
        docker run -d --name "$P-$r" --network "$NET" --label "com.docker.compose.service=$P-$r" "$IMG" sleep 3600 >/dev/null
done
spid=$(docker inspect -f '{{.State.Pid}}' "$P-server")
cpid=$(docker inspect -f '{{.State.Pid}}' "$P-client")
sip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}" "$P-server")
# (not through the function: $! must be the server itself, which the shell's exec chain keeps)
bash -c "$in_ctr_cmd" "$(cg_of "$spid")" "$spid" iperf3 -s -p 5201 >/dev/null 2>&1 &
SRV_PIDS=$!
bash -c "$in_ctr_cmd" "$(cg_of "$spid")" "$spid" "$W/netpol-rr" server 7000 &
SRV_PIDS="$SRV_PIDS $!"

start_agent() {
        rm -f "$W/np/containers.json"
        "$STOCKADE" agent --netpol "$W/np" --stats-interval 0 -q >/dev/null 2>"$W/agent.err" &
        AGENT=$!
        for _ in $(seq 100); do [ -s "$W/np/containers.json" ] && jq -e "any(.[]; .name == \"$P-client\") and any(.[]; .name == \"$P-server\")" "$W/np/containers.json" >/dev/null 2>&1 && break; docker exec "$P-client" true; docker exec "$P-server" true; sleep 0.2; done
        sleep 1 # the capture attaches on the containers' next event or tick
}
stop_agent() {
        [ -n "$AGENT" ] && kill -INT "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null
        AGENT=
}
start_agent

cat >"$W/policy.yaml" <<EOF
apiVersion: stockade/v1
kind: NetworkPolicy
mode: protect
workloads:
  - name: client
    selector: {labels: {com.docker.compose.service: $P-client}}
    egress:
      - to: [{workload: server}]
        ports: [5201, 7000]
      - to: [{cidr: 10.0.0.0/8}, {cidr: 192.168.0.0/16}]
        ports: ["53/udp", 443]
  - name: server
    selector: {labels: {com.docker.compose.service: $P-server}}
    ingress:
      - from: [{workload: client}]
        ports: [5201, 7000]
      - from: [{cidr: 10.0.0.0/8}]
        ports: [9100]
EOF
has_table() { nsenter -n -t "$1" nft list table inet stockade >/dev/null 2>&1; }
set_mode() {
        if [ "$1" = none ]; then
                rm -f "$W/np/policy.yaml"
                for _ in $(seq 100); do ! has_table "$spid" && ! has_table "$cpid" && break; sleep 0.1; done
                stop_agent
                return
        fi
        [ -n "$AGENT" ] || start_agent
        if [ "$1" = on ]; then
                "$STOCKADE" netpol apply -d "$W/np" "$W/policy.yaml"
                for _ in $(seq 100); do has_table "$spid" && has_table "$cpid" && return; sleep 0.1; done
        else
                rm -f "$W/np/policy.yaml"
                for _ in $(seq 100); do ! has_table "$spid" && ! has_table "$cpid" && return; sleep 0.1; done
        fi
        echo "the perimeters did not switch $1" >&2
        exit 1
}
measure() { # prints: gbps rr_p50 rr_p99 crr_p50 crr_p99
        local bps rr crr
        bps=$(in_ctr "$cpid" iperf3 -c "$sip" -p 5201 -t "$seconds" -J | jq '.end.sum_received.bits_per_second')
        rr=$(in_ctr "$cpid" "$W/netpol-rr" client "$sip" 7000 "$rr_n" rr)
        crr=$(in_ctr "$cpid" "$W/netpol-rr" client "$sip" 7000 "$crr_n" crr)
        echo "$(echo "scale=3; $bps / 1000000000" | bc) $rr $crr"
}
: >"$W/none" && : >"$W/off" && : >"$W/on"
for ((i = 1; i <= rounds; i++)); do
        case $((i % 3)) in
        1) order="none off on" ;;
        2) order="on none off" ;;
        *) order="off on none" ;;
        esac
        for m in $order; do
                set_mode "$m"
                measure >>"$W/$m"
        done
done
# the perimeter really dropped what it did not allow during the "on" rounds: prove it once more
set_mode on
if in_ctr "$cpid" timeout 3 "$W/netpol-rr" client "$sip" 7001 1 rr >/dev/null 2>&1; then
        echo "the perimeter let an unlisted port through" >&2
        exit 1
fi
set_mode off

median() { sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
col() { awk -v c="$2" '{print $c}' "$W/$1" | median; }
"$SCALE_BIN" "$scale" >"$W/scale"
sc() { awk -v p="$1" -v c="$2" '$1 == p {print $c}' "$W/scale"; }

kernel=$(uname -r)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
echo "## $(date -u +%Y-%m-%d) — $(hostname), $(nproc) CPUs ($cpu), kernel $kernel"
echo
echo "Command: \`bench/netpol.sh --rounds $rounds --seconds $seconds --scale $scale\`"
echo
echo "Allowed traffic between two containers on a bridge network: no agent (none); the agent learning"
echo "with the protocol capture on both containers' cgroups, no table (off); the agent with perimeters in"
echo "protect mode (4 accept rules + sets per chain, the allowed flow matched by set) and the capture"
echo "(on). Medians of $rounds rounds:"
echo
echo "| measure | none | off (capture) | on (capture + perimeter) | off/none | on/none |"
echo "|---|---|---|---|---|---|"
row() { # name column unit
        local none off on
        none=$(col none "$2") off=$(col off "$2") on=$(col on "$2")
        printf '| %s | %s %s | %s %s | %s %s | %s | %s |\n' "$1" "$none" "$3" "$off" "$3" "$on" "$3" \
                "$(echo "scale=3; $off / $none" | bc)" "$(echo "scale=3; $on / $none" | bc)"
}
row "iperf3 TCP throughput" 1 Gbit/s
row "request/response, one connection, p50" 2 µs
row "request/response, one connection, p99" 3 µs
row "connect+request/response+close, p50" 4 µs
row "connect+request/response+close, p99" 5 µs
for k in 3 5; do
        d=$(echo "$(col on $k) - $(col none $k)" | bc)
        echo
        echo "Added p99 latency, agent with capture and perimeter against no agent ($([ $k = 3 ] && echo "established" || echo "new connection")): $d µs."
done
echo
echo "Raw rounds (Gbit/s, rr p50, rr p99, crr p50, crr p99): none: $(tr '\n' ';' <"$W/none") off: $(tr '\n' ';' <"$W/off") on: $(tr '\n' ';' <"$W/on")"
echo
echo "Perimeters of $scale workloads (one network namespace each, bench/netpol-scale):"
echo
echo "| step | total | per namespace |"
echo "|---|---|---|"
echo "| parse the $scale-workload policy | $(sc parse 3) ms | $(sc parse 4) µs |"
echo "| open a kept libnftables context in $(sc open 2) namespaces (the agent's cap, NP_NFT_OPEN_MAX) | $(sc open 3) ms | $(sc open 4) µs |"
echo "| install every perimeter | $(sc install 3) ms | $(sc install 4) µs |"
echo "| **a peer workload gains a replica: its address added to the sets in all $scale** | **$(sc replica 3) ms** | $(sc replica 4) µs |"
echo "| switch all $scale from monitor to protect (rebuild each) | $(sc mode 3) ms | $(sc mode 4) µs |"
