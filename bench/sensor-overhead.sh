#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What the runtime sensor costs the workloads it watches, and how much it can take.
#
#   1. overhead: four loads in a container (bench/sensor-load), each measured without the agent, with
#      `stockade agent --events >/dev/null` as it ships (syscall handlers on per-syscall tracepoints)
#      and with STOCKADE_SENSOR_SYSCALLS=raw (the handlers behind one raw sys_exit hook), the three
#      alternated in every round (the order rotating), in the same run; medians over the rounds:
#        open     open+close of one file in a loop: one event per operation, nothing else (the floor)
#        getppid  a syscall the sensor does not watch: what every other syscall pays
#        files    a static file server's work over 64 files of 4 KiB: per file openat (relative name,
#                 so the kernel walks the path for the event), fstat, read, lseek, getppid, close
#        find     busybox `find / -xdev -type f -exec cat {} +` (getdents, stat, open, read, fork, exec)
#      The figure is the load's CPU time (user + system, its children included) per operation: the
#      work the sensor adds to the workload. Wall time is listed too; on a shared 2-CPU machine it also
#      counts waiting for a CPU held by the agent or by anything else running;
#   2. the agent's own CPU time per event while it prints every event as JSON (its other CPU);
#   3. the highest event rate with no drop: the open load paced at given rates (several containers at
#      once for the higher ones), the agent's drop counter read after each;
#   4. the programs' own run time, from the kernel's BPF statistics (kernel.bpf_stats_enabled, switched
#      on for the measurement and restored; the statistics add two clock reads per run);
#   5. the agent's memory (VmRSS and peak VmHWM).
#
# Usage: bench/sensor-overhead.sh [--rounds N] [--ops N] [--rates "R1 R2 …"] [--seconds S]
# Needs root, dockerd, jq, bpftool, a built stockade (build/stockade) and what
# tests/integration/runtime/build-image.sh needs. Prints a Markdown report (machine, date, command) to
# stdout; copy it into bench/results-sensor.md.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
STOCKADE=${STOCKADE:-$src/build/stockade}
rounds=5 ops=300000 rates="100000 200000 300000 400000 500000" seconds=4
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
        if [ -n "$agent_pid" ]; then kill -INT "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null; fi
        rm -rf "$T"
}
trap cleanup EXIT

prog_ids() { bpftool prog show --json 2>/dev/null | jq -r '.[] | select(.name | startswith("stk_")) | .id' | sort -n; }
# start_agent MODE(tp|raw) [agent options]: sets agent_pid and $T/ours (the ids of its programs)
start_agent() {
        local mode=$1
        shift
        prog_ids >"$T/ids.before"
        rm -f "$T/stats.json"
        STOCKADE_SENSOR_SYSCALLS=$([ "$mode" = raw ] && echo raw || echo tracepoints) \
                "$STOCKADE" agent "$@" --stats-file "$T/stats.json" --stats-interval 0 >/dev/null 2>"$T/agent.err" &
        agent_pid=$!
        for _ in $(seq 300); do
                grep -q "hooks active" "$T/agent.err" 2>/dev/null && break
                sleep 0.1
        done
        for _ in $(seq 50); do [ -s "$T/stats.json" ] && break; sleep 0.1; done
        prog_ids | comm -13 "$T/ids.before" - >"$T/ours"
}
stop_agent() {
        hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$agent_pid/status")
        rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$agent_pid/status")
        kill -INT "$agent_pid"
        wait "$agent_pid" || true
        agent_pid=
}
agent_cpu_ticks() { awk '{print $14 + $15}' "/proc/$agent_pid/stat"; }
events_total() { jq -r '.events' "$T/stats.json"; }
# raw sys_exit dispatchers attached by other processes (other agents: their hook runs on every syscall)
others_raw() { bpftool prog show 2>/dev/null | grep -c 'name stk_sys_exit' || true; }

# load NAME: one measurement in a new container; prints "ops wall_ns cpu_ns" per operation
FIND_CMD='find / -xdev -type f -exec cat {} + >/dev/null'
# dockerd under load sometimes fails a container's start (runc "init-p: connection reset"): try again
run() {
        local i
        for i in 1 2 3; do
                if docker run --rm "$@" 2>"$T/docker.err"; then return 0; fi
                echo "docker run failed (attempt $i): $(head -1 "$T/docker.err")" >&2
                sleep 1
        done
        return 1
}
load() {
        case $1 in
        open) run "$IMG" sensor-load open "$ops" ;;
        getppid) run "$IMG" sensor-load getppid $((ops * 4)) ;;
        files) run "$IMG" sensor-load files $((ops / 300)) ;;
        find) run "$IMG" sensor-load cmd $((ops / 1500)) sh -c "$FIND_CMD" ;;
        esac | awk '{print $1, $2, $4}'
}
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

loads="open getppid files find"
echo "# stockade runtime sensor: overhead and capacity"
echo
echo "- machine: $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM"
echo "- kernel: $(uname -r); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); stockade $("$STOCKADE" --version | cut -d' ' -f2), commit $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "- command: bench/sensor-overhead.sh --rounds $rounds --ops $ops --rates \"$rates\" --seconds $seconds"
echo "- raw sys_exit programs of other processes (other agents) attached at start: $(others_raw)"
echo

# ---- 1, 2. overhead, and the agent's CPU per event ----
modes="base tp raw"
hwm_max=0
for r in $(seq "$rounds"); do
        order=$(echo "$modes $modes" | cut -d' ' -f$(((r - 1) % 3 + 1))-$(((r - 1) % 3 + 3)))
        for m in $order; do
                [ "$m" = base ] || start_agent "$m" --events
                for l in $loads; do
                        if [ "$m" != base ]; then c0=$(agent_cpu_ticks) e0=$(events_total); fi
                        if ! load "$l" >"$T/one" || ! read -r _ wall cpu <"$T/one"; then
                                echo "$m $l round $r" >>"$T/failed"
                                continue
                        fi
                        echo "$r $cpu" >>"$T/round-$m-$l"
                        echo "$wall" >>"$T/$m-$l.wall"
                        echo "$cpu" >>"$T/$m-$l.cpu"
                        if [ "$m" != base ] && [ "$l" = open ]; then
                                sleep 1.2 # the stats file is rewritten every second
                                c1=$(agent_cpu_ticks) e1=$(events_total)
                                awk -v c="$((c1 - c0))" -v e="$((e1 - e0))" -v hz="$(getconf CLK_TCK)" \
                                        'BEGIN {if (e > 0) printf "%.0f\n", c * 1e9 / hz / e}' >>"$T/$m-agentcpu"
                        fi
                done
                if [ "$m" != base ]; then
                        stop_agent
                        [ "$hwm" -gt "$hwm_max" ] && hwm_max=$hwm
                fi
        done
        echo "round $r done" >&2
done

echo "## Overhead on the workload (CPU time per operation, medians of $rounds alternated rounds)"
echo
echo "| load in a container | without agent | agent (per-syscall tracepoints) | overhead | agent, raw sys_exit hook | overhead |"
echo "|---|---|---|---|---|---|"
for l in $loads; do
        b=$(median <"$T/base-$l.cpu") t=$(median <"$T/tp-$l.cpu") w=$(median <"$T/raw-$l.cpu")
        awk -v l="$l" -v b="$b" -v t="$t" -v w="$w" 'BEGIN {
                printf "| %s | %.0f ns | %.0f ns | %+.1f %% (%+.0f ns) | %.0f ns | %+.1f %% (%+.0f ns) |\n",
                        l, b, t, (t - b) * 100 / b, t - b, w, (w - b) * 100 / b, w - b}'
done
echo
echo "Wall time per operation (medians; includes waiting for a CPU):"
echo
echo "| load | without agent | per-syscall tracepoints | raw sys_exit hook |"
echo "|---|---|---|---|"
for l in $loads; do
        b=$(median <"$T/base-$l.wall") t=$(median <"$T/tp-$l.wall") w=$(median <"$T/raw-$l.wall")
        awk -v l="$l" -v b="$b" -v t="$t" -v w="$w" 'BEGIN {
                printf "| %s | %.0f ns | %.0f ns (%+.1f %%) | %.0f ns (%+.1f %%) |\n", l, b, t, (t - b) * 100 / b, w, (w - b) * 100 / b}'
done
echo
if [ -s "$T/failed" ]; then
        echo "Measurements lost (the container failed three times, e.g. under another agent's enforcement): $(paste -sd, "$T/failed")."
        echo
fi
echo "Overhead per round (CPU time with the agent over without it in the same round; the median of those"
echo "ratios, which a machine whose load drifts between rounds disturbs less than a ratio of medians):"
echo
for l in $loads; do
        for m in tp raw; do
                paste -d' ' "$T/round-base-$l" "$T/round-$m-$l" 2>/dev/null |
                        awk 'NF == 4 && $1 == $3 {print ($4 / $2 - 1) * 100}' | median >"$T/paired-$m-$l"
        done
        echo "- $l: per-syscall tracepoints $(awk '{printf "%+.1f %%", $1}' "$T/paired-tp-$l"), raw sys_exit hook $(awk '{printf "%+.1f %%", $1}' "$T/paired-raw-$l")"
done
echo
echo "Per-round CPU figures (ns/op):"
echo
for l in $loads; do
        echo "- $l: without $(paste -sd, "$T/base-$l.cpu"); tracepoints $(paste -sd, "$T/tp-$l.cpu"); raw $(paste -sd, "$T/raw-$l.cpu")"
done
echo
echo "The agent's own CPU time per event while the open load runs (decoding, resolving, JSON to /dev/null):"
echo "tracepoints $(median <"$T/tp-agentcpu") ns, raw $(median <"$T/raw-agentcpu") ns (medians; per round: $(paste -sd, "$T/tp-agentcpu") / $(paste -sd, "$T/raw-agentcpu"))."
echo

# ---- 3. the highest rate without drops ----
echo "## Event rate without drops (agent --events > /dev/null, default 8 MiB ring, per-syscall tracepoints)"
echo
echo "| target events/s | containers | achieved events/s | drops |"
echo "|---|---|---|---|"
start_agent tp --events
best=0
for rate in $rates; do
        par=$(((rate + 149999) / 150000))
        per=$((rate / par))
        n=$((per * seconds))
        before=$(jq -r '.drops' "$T/stats.json")
        pids=()
        for i in $(seq "$par"); do
                docker run --rm "$IMG" sensor-load open "$n" "$per" >"$T/rate.$i" &
                pids+=($!)
        done
        wait "${pids[@]}" || true
        sleep 1.5
        after=$(jq -r '.drops' "$T/stats.json")
        achieved=$(cat "$T"/rate.* | awk '{s += $3} END {printf "%.0f", s}')
        rm -f "$T"/rate.*
        d=$((after - before))
        echo "| $rate | $par | $achieved | $d |"
        if [ "$d" = 0 ] && [ "$achieved" -gt "$best" ]; then best=$achieved; fi
done
stop_agent
rate_rss=$rss rate_hwm=$hwm
echo
echo "Highest rate with no drop: **$best events/s**."
echo

# ---- 4. the programs' run time ----
# prog_stats: "run_time_ns run_cnt" summed over the agent's programs
prog_stats() {
        bpftool prog show --json 2>/dev/null | jq -r --slurpfile ours <(jq -s . "$T/ours") \
                '[.[] | select(.id as $i | $ours[0] | index($i))] | "\(map(.run_time_ns // 0) | add) \(map(.run_cnt // 0) | add)"'
}
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
echo "## The sensor's own run time (kernel BPF statistics, which add two clock reads per run)"
echo
echo "| mode | getppid: ns of BPF per syscall | open: ns of BPF per recorded open | files: ns of BPF per file served |"
echo "|---|---|---|---|"
for m in tp raw; do
        start_agent "$m" --events
        a=$(prog_stats)
        run "$IMG" sensor-load getppid $((ops * 4)) >/dev/null
        b=$(prog_stats)
        run "$IMG" sensor-load open "$ops" >/dev/null
        c=$(prog_stats)
        run "$IMG" sensor-load files $((ops / 300)) >/dev/null
        d=$(prog_stats)
        stop_agent
        # per operation: the container's own start and exit are in each delta, negligible beside N ops
        echo "$a|$b|$c|$d" | awk -F'|' -v m="$m" -v n="$ops" '{split($1, x, " "); split($2, y, " "); split($3, z, " "); split($4, w, " ");
                printf "| %s | %.1f | %.0f | %.0f |\n", (m == "tp" ? "per-syscall tracepoints" : "raw sys_exit hook"),
                        (y[1] - x[1]) / (n * 4), (z[1] - y[1]) / n, (w[1] - z[1]) / (n / 300 * 64)}'
done
sysctl -qw kernel.bpf_stats_enabled="$old_stats"
echo

# ---- 5. memory ----
echo "## Agent memory"
echo
echo "- after the rate runs: VmRSS $((rate_rss / 1024)) MiB, peak VmHWM $((rate_hwm / 1024)) MiB"
echo "- peak VmHWM in the overhead rounds: $((hwm_max / 1024)) MiB"
echo "- raw sys_exit programs of other processes attached at the end: $(others_raw)"
echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
