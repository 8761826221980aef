#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Event bursts beyond what the agent can take: a container doing two million opens against a 64 KiB ring
# buffer. Records the kernel could not queue must be counted per type and reported (stderr and the
# counters file), every open must be either delivered or counted, and the agent's memory must stay
# bounded.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime/lib.sh"
need_sensor
IMG=$(runtime_image)
N=${T7003_OPENS:-2000000}
RSS_MAX_KB=${T7003_RSS_MAX_KB:-102400}

start_agent a1 --ringbuf-size 64K --stats-interval 1
NAME=t7003-burst-$$
at_exit "docker rm -f $NAME >/dev/null 2>&1"
docker run --name "$NAME" "$IMG" sensor-load open "$N" >"$T/load.out" &
load=$!
max_rss=0
while kill -0 "$load" 2>/dev/null; do
        rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$AGENT_PID/status" 2>/dev/null || echo 0)
        [ "${rss:-0}" -gt "$max_rss" ] && max_rss=$rss
        sleep 0.5
done
wait "$load" || fail "the load did not run"
sleep 2
hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$AGENT_PID/status")
stop_agent a1
note "load: $(cat "$T/load.out") (ops, ns/op, ops/s); agent RSS max $max_rss kB, peak $hwm kB"
note "counters: $(cat "$T/a1.stats.json")"
opens=$(count_events a1 ".type == \"open\" and .container.name == \"$NAME\" and .file.path == \"/etc/hostname\"")
note "$opens opens delivered"

check "drops were counted" stats_ok a1 '.drops > 0 and .drops_by_type.open > 0'
check "every open was delivered or counted as dropped" \
        stats_ok a1 "(.drops_by_type.open + $opens) >= $N"
check "what the kernel queued was delivered (no loss in user space)" \
        stats_ok a1 '.decode_errors == 0 and .delivered + 64 >= .events - .drops'
check "drops were reported on stderr while running" grep -Eq "dropped \((.*, )?open [0-9]+" "$T/a1.err"
check "and at exit" grep -Eq "at exit: .* dropped \((.*, )?open [0-9]+" "$T/a1.err"
check "the agent's memory stayed bounded (peak ${hwm} kB <= ${RSS_MAX_KB} kB)" test "$hwm" -le "$RSS_MAX_KB"
check "nothing left held" stats_ok a1 '.held_now == 0'
