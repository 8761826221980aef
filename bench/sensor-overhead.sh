#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What the runtime sensor costs the workloads it watches, and how much it can take.
#
#   1. overhead: a syscall loop in a container (bench/sensor-load: open+close, one event per open;
#      getppid, no event), without and with `stockade agent --events >/dev/null` running, alternated over
#      several rounds in the same run; medians, and the overhead in per cent;
#   2. the highest event rate with no drop: the same container load paced at given rates (several
#      containers at once for the higher ones), the agent's drop counter read after each;
#   3. the programs' own run time per event, from the kernel's BPF statistics (kernel.bpf_stats_enabled,
#      switched on for the measurement and restored): the part of the overhead that is the sensor's
#      code, as opposed to the syscall slow path and the agent competing for the CPUs;
#   4. the agent's memory (VmRSS and peak VmHWM).
#
# Usage: bench/sensor-overhead.sh [--rounds N] [--ops N] [--rates "R1 R2 …"] [--seconds S]
# Needs root, dockerd, a built stockade (build/stockade) and what tests/integration/runtime/build-image.sh
# needs. Prints a Markdown report (machine, date, command) to stdout; copy it into
# bench/results-sensor.md.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
STOCKADE=${STOCKADE:-$src/build/stockade}
rounds=5 ops=400000 rates="50000 100000 150000 200000 250000 300000 350000 400000" seconds=4
while [ $# -gt 0 ]; do
        case $1 in
        --rounds) rounds=$2; shift 2 ;;
        --ops) ops=$2; shift 2 ;;
        --rates) rates=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        *) echo "usage: $0 [--rounds N] [--ops N] [--rates \"R…\"] [--seconds S]" >&2; exit 2 ;;
        esac
done
[ "$(id -u)" = 0 ] || { echo "sensor-overhead.sh: needs root" >&2; exit 2; }
[ -x "$STOCKADE" ] || { echo "sensor-overhead.sh: no $STOCKADE (build first)" >&2; exit 2; }
IMG=$("$src/tests/integration/runtime/build-image.sh")
T=$(mktemp -d)
agent_pid=
cleanup() {
        [ -n "$agent_pid" ] && kill -INT "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT

start_agent() {
        "$STOCKADE" agent "$@" --stats-file "$T/stats.json" --stats-interval 0 >/dev/null 2>"$T/agent.err" &
        agent_pid=$!
        for _ in $(seq 300); do
                grep -q "hooks active" "$T/agent.err" 2>/dev/null && break
                sleep 0.1
        done
        for _ in $(seq 50); do [ -s "$T/stats.json" ] && break; sleep 0.1; done
}
stop_agent() {
        hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$agent_pid/status")
        rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$agent_pid/status")
        kill -INT "$agent_pid"
        wait "$agent_pid" || true
        agent_pid=
}
# load MODE N [RATE]: ns per operation and operations per second, from inside a container
load() { docker run --rm "$IMG" sensor-load "$@"; }
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
drops() { jq -r '.drops' "$T/stats.json"; }

echo "# stockade runtime sensor: overhead and capacity"
echo
echo "- machine: $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM"
echo "- kernel: $(uname -r); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); stockade $("$STOCKADE" --version | cut -d' ' -f2), commit $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "- command: bench/sensor-overhead.sh --rounds $rounds --ops $ops --rates \"$rates\" --seconds $seconds"
echo

# ---- 1. overhead ----
for r in $(seq "$rounds"); do
        load open "$ops" | awk '{print $2}' >>"$T/base-open"
        load getppid $((ops * 4)) | awk '{print $2}' >>"$T/base-getppid"
        start_agent --events
        load open "$ops" | awk '{print $2}' >>"$T/agent-open"
        load getppid $((ops * 4)) | awk '{print $2}' >>"$T/agent-getppid"
        stop_agent
        echo "$hwm" >>"$T/hwm"
        echo "round $r done" >&2
done
bo=$(median <"$T/base-open") ao=$(median <"$T/agent-open")
bg=$(median <"$T/base-getppid") ag=$(median <"$T/agent-getppid")
echo "## Overhead (medians of $rounds alternated rounds)"
echo
echo "| load in a container | without agent | with \`agent --events\` | overhead |"
echo "|---|---|---|---|"
awk -v b="$bo" -v a="$ao" 'BEGIN {printf "| open+close (1 event per op) | %.0f ns/op | %.0f ns/op | %+.1f %% (%+.0f ns/event) |\n", b, a, (a - b) * 100 / b, a - b}'
awk -v b="$bg" -v a="$ag" 'BEGIN {printf "| getppid (not watched: the sys_exit hook alone) | %.0f ns/op | %.0f ns/op | %+.1f %% (%+.0f ns/syscall) |\n", b, a, (a - b) * 100 / b, a - b}'
echo
echo "Per-round figures (ns/op): open without $(paste -sd, "$T/base-open"), with $(paste -sd, "$T/agent-open");"
echo "getppid without $(paste -sd, "$T/base-getppid"), with $(paste -sd, "$T/agent-getppid")."
echo

# ---- 2. the highest rate without drops ----
echo "## Event rate without drops (agent --events > /dev/null, default 8 MiB ring)"
echo
echo "| target events/s | containers | achieved events/s | drops |"
echo "|---|---|---|---|"
start_agent --events
best=0
for rate in $rates; do
        par=$(( (rate + 149999) / 150000 ))
        per=$((rate / par))
        n=$((per * seconds))
        before=$(drops)
        pids=()
        for i in $(seq "$par"); do
                load open "$n" "$per" >"$T/rate.$i" &
                pids+=($!)
        done
        wait "${pids[@]}" || true
        sleep 1.5
        after=$(drops)
        achieved=$(cat "$T"/rate.* | awk '{s += $3} END {printf "%.0f", s}')
        rm -f "$T"/rate.*
        d=$((after - before))
        echo "| $rate | $par | $achieved | $d |"
        if [ "$d" = 0 ] && [ "$achieved" -gt "$best" ]; then best=$achieved; fi
done
stop_agent
echo
echo "Highest rate with no drop: **$best events/s**."
echo

# ---- 3. the programs' run time ----
prog_stats() { bpftool prog show 2>/dev/null | awk '/name stk_sys_exit/ {for (i = 1; i <= NF; i++) {if ($i == "run_time_ns") t = $(i + 1); if ($i == "run_cnt") c = $(i + 1)}; print t, c}'; }
if command -v bpftool >/dev/null; then
        old_stats=$(sysctl -n kernel.bpf_stats_enabled)
        sysctl -qw kernel.bpf_stats_enabled=1
        start_agent --events
        a=$(prog_stats); load getppid $((ops * 4)) >/dev/null; b=$(prog_stats); load open "$ops" >/dev/null; c=$(prog_stats)
        stop_agent
        sysctl -qw kernel.bpf_stats_enabled="$old_stats"
        echo "## The sensor's own run time (kernel BPF statistics, which add two clock reads per run)"
        echo
        echo "$a|$b|$c" | awk -F'|' '{split($1, x, " "); split($2, y, " "); split($3, z, " ");
                g = (y[1] - x[1]) / (y[2] - x[2]); o = (z[1] - y[1]) / (z[2] - y[2]); n = z[2] - y[2];
                printf "- sys_exit on a syscall the sensor does not watch (getppid): %.0f ns per run\n", g;
                printf "- the open+close phase: %.0f ns per run over %d runs, so about %.0f ns per recorded open\n", o, n, 2 * o - g}'
        echo
fi

# ---- 4. memory ----
echo "## Agent memory"
echo
echo "- after the rate runs: VmRSS $((rss / 1024)) MiB, peak VmHWM $((hwm / 1024)) MiB"
echo "- peak VmHWM in the overhead rounds: $(($(sort -n "$T/hwm" | tail -1) / 1024)) MiB"
echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
