#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What the runtime sensor costs the workloads it watches, and how much it can take.
#
#   1. overhead: four loads in a container (bench/sensor-load), each measured without the agent and
#      with `stockade agent --events >/dev/null` in three configurations, all alternated in every round
#      (the order rotating), in the same run; medians over the rounds:
#        default  as it ships on x86-64: the handlers behind one raw sys_exit hook (which sees ia32,
#                 int 0x80, syscalls too), repeated opens counted in the kernel (--open-repeat-window 1s)
#        no-ia32  --no-ia32: one classic tracepoint per watched syscall (syscalls nobody watches run no
#                 program; ia32 syscalls unseen)
#        every    the default with --open-repeat-window 0 (every open recorded)
#      and, as the floor any eBPF sensor on this kernel and machine starts from, two empty bpftrace
#      programs (no agent): `tracepoint:syscalls:sys_exit_open{,at} { }` (what the per-syscall
#      tracepoint of a watched syscall costs before any work) and `tracepoint:raw_syscalls:sys_exit { }`
#      (a classic tracepoint on every syscall; stockade's own all-syscall hook is a raw tracepoint);
#        open     open+close of one file in a loop: one event per operation, nothing else (the floor)
#        getppid  a syscall the sensor does not watch: what every other syscall pays
#        files    a static file server's work over 64 files of 4 KiB: per file openat (relative name,
#                 so the kernel walks the path for the event), fstat, read, lseek, getppid, close
#        find     busybox `find / -xdev -type f -exec cat {} +` (getdents, stat, open, read, fork, exec)
#      The figure is the load's CPU time (user + system, its children included) per operation: the
#      work the sensor adds to the workload. Wall time is listed too; on a shared 2-CPU machine it also
#      counts waiting for a CPU held by the agent or by anything else running;
#   2. the agent's own CPU time per event while it prints every event as JSON (its other CPU; in the
#      'every' configuration, where each open is an event);
#   3. the highest event rate with no drop: the open load paced at given rates (several containers at
#      once for the higher ones), the agent's drop counter read after each (--open-repeat-window 0,
#      so that every open is an event the pipeline must carry);
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
# the agent's options in each configuration (section 1)
declare -A config_opts=([default]="" [no-ia32]="--no-ia32" [every]="--open-repeat-window 0")
declare -A config_name=([default]="default (raw sys_exit)" [no-ia32]="--no-ia32 (tracepoints)" [every]="every open recorded"
        [floor-open]="floor: empty program on sys_exit_open{,at}" [floor-all]="floor: empty program on raw_syscalls:sys_exit")
declare -A floor_prog=([floor-open]='tracepoint:syscalls:sys_exit_openat,tracepoint:syscalls:sys_exit_open { }'
        [floor-all]='tracepoint:raw_syscalls:sys_exit { }')
# start_agent CONFIG [agent options]: sets agent_pid and $T/ours (the ids of its programs)
start_agent() {
        local mode=$1
        shift
        if [ -n "${floor_prog[$mode]:-}" ]; then # bpftrace, no agent
                bpftrace -e "${floor_prog[$mode]}" >"$T/agent.err" 2>&1 &
                agent_pid=$!
                for _ in $(seq 100); do
                        grep -q "Attaching" "$T/agent.err" 2>/dev/null && break
                        sleep 0.1
                done
                sleep 1
                return
        fi
        prog_ids >"$T/ids.before"
        rm -f "$T/stats.json"
        # shellcheck disable=SC2086 # the options are words
        env -u STOCKADE_SENSOR_SYSCALLS "$STOCKADE" agent ${config_opts[$mode]} "$@" --stats-file "$T/stats.json" \
                --stats-interval 0 >/dev/null 2>"$T/agent.err" &
        agent_pid=$!
        for _ in $(seq 300); do
                grep -q "hooks active" "$T/agent.err" 2>/dev/null && break
                sleep 0.1
        done
        for _ in $(seq 50); do [ -s "$T/stats.json" ] && break; sleep 0.1; done
        prog_ids | comm -13 "$T/ids.before" - >"$T/ours"
}
stop_agent() {
        if ! [ -e "/proc/$agent_pid/exe" ] || [ "$(basename "$(readlink "/proc/$agent_pid/exe")")" != stockade ]; then
                kill -INT "$agent_pid" 2>/dev/null
                wait "$agent_pid" || true
                agent_pid= hwm=0
                return
        fi
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
configs="default no-ia32 every"
command -v bpftrace >/dev/null && configs="$configs floor-open floor-all"
modes="base $configs"
nmodes=$(echo $modes | wc -w)
hwm_max=0
for r in $(seq "$rounds"); do
        order=$(echo "$modes $modes" | cut -d' ' -f$(((r - 1) % nmodes + 1))-$(((r - 1) % nmodes + nmodes)))
        for m in $order; do
                [ "$m" = base ] || start_agent "$m" --events
                for l in $loads; do
                        if [ "$m" = every ]; then c0=$(agent_cpu_ticks) e0=$(events_total); fi
                        if ! load "$l" >"$T/one" || ! read -r _ wall cpu <"$T/one"; then
                                echo "$m $l round $r" >>"$T/failed"
                                continue
                        fi
                        echo "$r $cpu" >>"$T/round-$m-$l"
                        echo "$wall" >>"$T/$m-$l.wall"
                        echo "$cpu" >>"$T/$m-$l.cpu"
                        if [ "$m" = every ] && [ "$l" = open ]; then
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
hdr="| load in a container | without agent |" sep="|---|---|"
for m in $configs; do hdr="$hdr ${config_name[$m]} | overhead |" sep="$sep---|---|"; done
echo "$hdr"
echo "$sep"
for l in $loads; do
        b=$(median <"$T/base-$l.cpu")
        line="| $l | $(awk -v b="$b" 'BEGIN {printf "%.0f ns", b}') |"
        for m in $configs; do
                line="$line $(median <"$T/$m-$l.cpu" | awk -v b="$b" '{printf "%.0f ns | %+.1f %% (%+.0f ns)", $1, ($1 - b) * 100 / b, $1 - b}') |"
        done
        echo "$line"
done
echo
echo "Wall time per operation (medians; includes waiting for a CPU):"
echo
hdr="| load | without agent |" sep="|---|---|"
for m in $configs; do hdr="$hdr ${config_name[$m]} |" sep="$sep---|"; done
echo "$hdr"
echo "$sep"
for l in $loads; do
        b=$(median <"$T/base-$l.wall")
        line="| $l | $(awk -v b="$b" 'BEGIN {printf "%.0f ns", b}') |"
        for m in $configs; do
                line="$line $(median <"$T/$m-$l.wall" | awk -v b="$b" '{printf "%.0f ns (%+.1f %%)", $1, ($1 - b) * 100 / b}') |"
        done
        echo "$line"
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
        line="- $l:"
        for m in $configs; do
                paste -d' ' "$T/round-base-$l" "$T/round-$m-$l" 2>/dev/null |
                        awk 'NF == 4 && $1 == $3 {print ($4 / $2 - 1) * 100}' | median >"$T/paired-$m-$l"
                line="$line ${config_name[$m]} $(awk '{printf "%+.1f %%", $1}' "$T/paired-$m-$l");"
        done
        echo "${line%;}"
done
echo
echo "Per-round CPU figures (ns/op):"
echo
for l in $loads; do
        line="- $l: without $(paste -sd, "$T/base-$l.cpu")"
        for m in $configs; do line="$line; ${config_name[$m]} $(paste -sd, "$T/$m-$l.cpu")"; done
        echo "$line"
done
echo
echo "The agent's own CPU time per event while the open load runs with every open recorded (decoding,"
echo "resolving, JSON to /dev/null): $(median <"$T/every-agentcpu") ns (median; per round: $(paste -sd, "$T/every-agentcpu"))."
echo

# ---- 3. the highest rate without drops ----
echo "## Event rate without drops (agent --events --open-repeat-window 0 > /dev/null, default 8 MiB ring and hooks)"
echo
echo "| target events/s | containers | achieved events/s | drops |"
echo "|---|---|---|---|"
start_agent every --events
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
echo "| configuration | getppid: ns of BPF per syscall | open: ns of BPF per open | files: ns of BPF per file served |"
echo "|---|---|---|---|"
for m in default no-ia32 every; do
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
                printf "| %s | %.1f | %.0f | %.0f |\n", m,
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
