# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# Sourced by the runtime integration tests (t7xxx) after ../lib.sh: starting and stopping the agent,
# the test image, and jq checks over its JSON lines.

# need_sensor: root, kernel BTF and a stockade built with the eBPF sensor.
need_sensor() {
        need_root
        need_cmd jq gcc
        [ -r /sys/kernel/btf/vmlinux ] || skip "the kernel has no BTF (/sys/kernel/btf/vmlinux): CO-RE cannot relocate"
        need_stockade
        if "$STOCKADE" agent --duration 0.1 -q 2>&1 | grep -q "built without the eBPF sensor"; then
                fail "this stockade was built without the eBPF sensor (install libbpf-dev bpftool clang and rebuild)"
        fi
}

# runtime_image: builds (cached) and prints the test image's name.
runtime_image() {
        need_docker
        "$STOCKADE_SRCDIR/tests/integration/runtime/build-image.sh" || fail "cannot build the runtime test image"
}

# start_agent NAME ARGS…: starts `stockade agent --events ARGS…` with stdout in $T/NAME.jsonl, stderr in
# $T/NAME.err, counters in $T/NAME.stats.json; waits until its hooks are listed. Sets AGENT_PID.
start_agent() {
        local name=$1
        shift
        "$STOCKADE" agent --events --stats-file "$T/$name.stats.json" "$@" >"$T/$name.jsonl" 2>"$T/$name.err" &
        AGENT_PID=$!
        at_exit "kill -INT $AGENT_PID 2>/dev/null; wait $AGENT_PID 2>/dev/null"
        local _
        for _ in $(seq 300); do
                grep -q "hooks active" "$T/$name.err" 2>/dev/null && break
                kill -0 "$AGENT_PID" 2>/dev/null || { cat "$T/$name.err" >&2; fail "the agent exited at start"; }
                sleep 0.1
        done
        grep -q "hooks active" "$T/$name.err" || { cat "$T/$name.err" >&2; fail "the agent did not start in 30 s"; }
        # the resolver connects to the engine in the background; the first list takes a moment
        for _ in $(seq 100); do
                [ -s "$T/$name.stats.json" ] && jq -e '.engine_connected and .engine_lists > 0' "$T/$name.stats.json" >/dev/null 2>&1 && break
                sleep 0.1
        done
}

# stop_agent NAME: SIGINT, waits for a clean exit (status 0).
stop_agent() {
        local name=$1 rc=0
        kill -INT "$AGENT_PID"
        wait "$AGENT_PID" || rc=$?
        [ "$rc" = 0 ] || { tail -n 20 "$T/$name.err" >&2; fail "the agent exited with status $rc"; }
}

# events NAME FILTER: the events of agent NAME that match the jq FILTER (compact, one per line).
# (Lines are parsed one by one: the last one may be half written while the agent runs.)
events() { jq -c -R "fromjson? | select($2)" "$T/$1.jsonl"; }
# has_event NAME FILTER: at least one such event.
has_event() { [ -n "$(events "$1" "$2" | head -n 1)" ]; }
# count_events NAME FILTER
count_events() { events "$1" "$2" | wc -l; }
# stats_ok NAME FILTER: the agent's counters (its --stats-file) satisfy the jq FILTER.
stats_ok() { jq -e "$2" "$T/$1.stats.json" >/dev/null; }
# json_ok FILE FILTER
json_ok() { jq -e "$2" "$1" >/dev/null; }
# wait_event NAME FILTER [SECONDS]: waits (default 10 s) until agent NAME has printed such an event
# (it flushes its output every second).
wait_event() {
        local _
        for _ in $(seq $((${3:-10} * 5))); do
                has_event "$1" "$2" && return 0
                sleep 0.2
        done
        return 1
}
