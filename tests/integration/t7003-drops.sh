#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Event bursts beyond what the agent can take: a container doing two million opens against a 64 KiB ring
# buffer, every open recorded (--open-repeat-window 0). Records the kernel could not queue must be
# counted per type and reported (stderr and the counters file), every open must be either delivered or
# counted, and the agent's memory must stay bounded. Then the same burst with repeated opens counted in
# the kernel (the default): nothing dropped, every open delivered or counted as a repeat, and an open
# repeated after an exec (a new process image, same pid) recorded again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime/lib.sh"
need_sensor
IMG=$(runtime_image)
N=${T7003_OPENS:-2000000}
RSS_MAX_KB=${T7003_RSS_MAX_KB:-102400}

start_agent a1 --ringbuf-size 64K --stats-interval 1 --open-repeat-window 0
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

# the default: repeated opens counted, not recorded
start_agent a2 --ringbuf-size 64K --stats-interval 1
NAME2=t7003-repeat-$$
at_exit "docker rm -f $NAME2 >/dev/null 2>&1"
docker run --name "$NAME2" "$IMG" sh -c "sensor-load open $N; read x </etc/hostname; exec cat /etc/hostname" \
        >"$T/load2.out" || fail "the second load did not run"
sleep 2
stop_agent a2
note "counters with repeats counted: $(cat "$T/a2.stats.json")"
C2=".container.name == \"$NAME2\" and .file.path == \"/etc/hostname\""
opens2=$(count_events a2 ".type == \"open\" and $C2 and .process.comm == \"sensor-load\"")
check "the burst of identical opens dropped nothing" stats_ok a2 '.drops == 0'
check "its first open was recorded ($opens2 recorded)" test "$opens2" -ge 1
check "every open was recorded or counted as a repeat" stats_ok a2 "(.open_repeats + $opens2) >= $N"
check "most were counted in the kernel, not recorded" test "$opens2" -lt $((N / 100))
check "the shell's open and, after its exec, cat's open of the same file are both recorded" \
        test "$(events a2 ".type == \"open\" and $C2 and (.process.comm == \"sh\" or .process.comm == \"cat\")" |
                jq -s 'map(.process.pid) | (length >= 2) and (unique | length == 1)')" = true
