#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The response primitives (src/lib/runtime/respond.h) against real containers on the real kernel, driven
# by build/tests/integration/runtime/respond-probe (see its header for the commands):
#  - in-kernel kill: a file copied into a container is killed at exec (status 137, the event names it)
#    and its side effect never happens; other programs in that container and the same file in another
#    container run;
#  - exec guard (fanotify FAN_OPEN_EXEC_PERM on the container's root filesystem): exec of a denied path
#    fails with EPERM and the program's side effect never happens; allowed programs run; a slow decider
#    is answered by the fail policy (open: runs; closed: denied) instead of hanging the container;
#  - connect deny (cgroup/connect4|6): deny-list and allow-list modes, EPERM for the denied peer, the
#    allowed one still works, rules change without reattaching, nothing is left once detached;
#  - user-space kill through a pidfd, with the start-time guard against pid reuse;
#  - pause/unpause through the engine API and freeze/thaw through the cgroup freezer.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime/lib.sh"
need_root
need_cmd jq
[ -r /sys/kernel/btf/vmlinux ] || skip "the kernel has no BTF (/sys/kernel/btf/vmlinux): CO-RE cannot relocate"
PROBE=${RESPOND_PROBE:-$(dirname "$STOCKADE")/tests/integration/runtime/respond-probe}
[ -x "$PROBE" ] || fail "no respond-probe at $PROBE (build first)"
if "$PROBE" supported | grep -q "^no"; then
        fail "this build has no eBPF enforcer (install libbpf-dev bpftool clang and rebuild)"
fi
IMG=$(runtime_image)

C1=t7005-a-$$ C2=t7005-b-$$
at_exit "docker rm -f $C1 $C2 >/dev/null 2>&1"
docker run -d --name "$C1" "$IMG" sleep 3600 >/dev/null
docker run -d --name "$C2" "$IMG" sleep 3600 >/dev/null
PID1=$(docker inspect -f '{{.State.Pid}}' "$C1")
ID1=$(docker inspect -f '{{.Id}}' "$C1")
PID2=$(docker inspect -f '{{.State.Pid}}' "$C2")
CG1=$("$PROBE" cgroup-path "$PID1") || fail "no cgroup v2 directory for $C1"
note "container $C1: pid $PID1, cgroup $CG1"

# serve NAME ARGS…: starts respond-probe serve in the background (output in $T/NAME.out), waits for
# "ready". stop_serve NAME: SIGINT and wait; its counters are then in the output.
serve() {
        local name=$1 _
        shift
        "$PROBE" serve "$@" >"$T/$name.out" 2>"$T/$name.err" &
        eval "SERVE_$name=$!"
        at_exit "kill -INT $! 2>/dev/null; wait $! 2>/dev/null"
        for _ in $(seq 100); do
                grep -q '^ready' "$T/$name.out" && return 0
                kill -0 "$(eval echo "\$SERVE_$name")" 2>/dev/null || { cat "$T/$name.err" >&2; fail "respond-probe $name exited"; }
                sleep 0.1
        done
        fail "respond-probe $name not ready in 10 s"
}
stop_serve() {
        local pid
        pid=$(eval echo "\$SERVE_$1")
        kill -INT "$pid"
        wait "$pid" || { cat "$T/$1.err" >&2; fail "respond-probe $1 failed"; }
}
out_has() { grep -Eq "$2" "$T/$1.out"; }
# rc_of CMD…: prints the exit status of CMD
rc_of() { "$@" >/dev/null 2>&1; echo $?; }

# ---- in-kernel kill on exec ----
# copies of busybox named after the applet they run (busybox picks it by its name)
docker exec "$C1" sh -c 'mkdir -p /tmp/k /tmp/g && cp /bin/busybox /tmp/k/touch && cp /bin/busybox /tmp/g/touch'
docker exec "$C2" sh -c 'mkdir -p /tmp/k && cp /bin/busybox /tmp/k/touch'
serve kill --cgroup "$CG1" --kill-exec "/proc/$PID1/root/tmp/k/touch"
check "exec of the forbidden file is killed in the kernel (SIGKILL: 137)" \
        test "$(rc_of docker exec "$C1" /tmp/k/touch /tmp/evil-ran)" = 137
check "the killed program's side effect never happened (killed before its first instruction)" \
        test "$(rc_of docker exec "$C1" test -e /tmp/evil-ran)" = 1
check "other programs in the container still run" docker exec "$C1" /bin/busybox true
check "the same file name in another container (another file) is not killed" \
        docker exec "$C2" /tmp/k/touch /tmp/ok
sleep 0.3
stop_serve kill
check "the kill is reported with the process's name and the container's cgroup" \
        out_has kill "^killed pid=[0-9]+ comm=touch cgroup=$(stat -c %i "$CG1") "
check "the kernel counted one kill and no failure" out_has kill "^counters exec_kills=1 kill_failures=0 "
check "after the enforcer is gone the file runs again" docker exec "$C1" /tmp/k/touch /tmp/ok

# ---- exec guard (fanotify) ----
serve guard --pid "$PID1" --id "$ID1" --deny-exec /tmp/g/touch
err=$(docker exec "$C1" sh -c '/tmp/g/touch /tmp/denied-ran' 2>&1 || true)
check "exec of a denied file fails with EPERM (Operation not permitted)" \
        grep -q "Operation not permitted" <<<"$err"
check "the denied program's side effect never happened" \
        test "$(rc_of docker exec "$C1" test -e /tmp/denied-ran)" = 1
check "an allowed program runs under the guard" docker exec "$C1" /bin/busybox touch /tmp/allowed-ran
check "and its side effect is there" docker exec "$C1" test -e /tmp/allowed-ran
check "the other container is not guarded" docker exec "$C2" /bin/busybox true
stop_serve guard
check "the decider was asked with the path inside the container and said deny" \
        out_has guard "^exec deny /tmp/g/touch pid=[0-9]+"
check "nothing from the unguarded container reached the decider" \
        test "$(grep -c '^exec ' "$T/guard.out")" -ge 2
check "the guard counted the denial and no timeout" out_has guard "^guard requests=[0-9]+ allowed=[0-9]+ denied=1 timeouts=0 errors=0"
check "after the guard is gone the file runs" docker exec "$C1" /tmp/g/touch /tmp/ok

# a decider slower than the timeout: fail open lets the exec through, fail closed denies it
serve slowopen --pid "$PID1" --id "$ID1" --deny-exec /tmp/g/touch --decide-ms 1500 --timeout-ms 100 --fail open
check "fail open: a slow decider's request is allowed at the timeout (even a denied path)" \
        docker exec "$C1" /tmp/g/touch /tmp/ok
stop_serve slowopen
check "fail open: the timeout is counted" out_has slowopen "^guard requests=[0-9]+ allowed=[0-9]+ denied=0 timeouts=[1-9]"
serve slowclosed --pid "$PID1" --id "$ID1" --decide-ms 1500 --timeout-ms 100 --fail closed
err=$(docker exec "$C1" /bin/busybox true 2>&1 || true)
check "fail closed: a slow decider's request is denied at the timeout" grep -qi "Operation not permitted\|permission denied" <<<"$err"
stop_serve slowclosed
check "fail closed: the timeout is counted" out_has slowclosed "^guard requests=[0-9]+ allowed=0 denied=[1-9][0-9]* timeouts=[1-9]"

# ---- connect deny ----
docker exec -d "$C1" nc -ll -p 8081 -e /bin/true
docker exec -d "$C1" nc -ll -p 8082 -e /bin/true
for _ in $(seq 50); do
        [ "$(rc_of docker exec "$C1" nc -w 1 127.0.0.1 8082)" = 0 ] &&
                [ "$(rc_of docker exec "$C1" nc -w 1 127.0.0.1 8081)" = 0 ] && break
        sleep 0.1
done
check "both ports answer before any rule" docker exec "$C1" nc -w 2 127.0.0.1 8082 </dev/null
serve conn --cgroup "$CG1" --connect-default allow --deny 127.0.0.1:8082 --deny '[::1]:8082'
err=$(docker exec "$C1" nc -w 2 127.0.0.1 8082 </dev/null 2>&1 || true)
check "deny-list: connect to the denied port fails with EPERM" grep -q "Operation not permitted" <<<"$err"
check "deny-list: the other port still connects" docker exec "$C1" nc -w 2 127.0.0.1 8081 </dev/null
check "the other container is not affected" docker exec "$C2" true
stop_serve conn
check "the denial is reported with the process and the peer" \
        out_has conn "^connect-denied pid=[0-9]+ comm=nc peer=127.0.0.1:8082$"
check "the kernel counted exactly one denial" out_has conn "^counters .*connect_denied=1 "
check "after detaching, the port connects again" docker exec "$C1" nc -w 2 127.0.0.1 8082 </dev/null

serve allowlist --cgroup "$CG1" --connect-default deny --allow 127.0.0.1:8081
check "allow-list: the listed peer connects" docker exec "$C1" nc -w 2 127.0.0.1 8081 </dev/null
err=$(docker exec "$C1" nc -w 2 127.0.0.1 8082 </dev/null 2>&1 || true)
check "allow-list: any other peer fails with EPERM" grep -q "Operation not permitted" <<<"$err"
stop_serve allowlist

# ---- user-space kill through a pidfd ----
docker exec -d "$C1" sleep 1234
for _ in $(seq 50); do
        VICTIM=$(pgrep -f -n "^sleep 1234$") && break
        sleep 0.1
done
[ -n "${VICTIM:-}" ] || fail "no victim process"
START=$("$PROBE" start-time "$VICTIM")
check "a pidfd kill with a wrong start time is refused (pid reuse guard)" \
        test "$(rc_of "$PROBE" kill "$VICTIM" $((START + 1)))" = 1
check "the process is still alive" kill -0 "$VICTIM"
check "a pidfd kill with the right start time kills it and waits for its end" "$PROBE" kill "$VICTIM" "$START"
# dead: gone, or a zombie until its parent (the engine's shim) reaps it
dead() { local st; st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null); [ -z "$st" ] || [ "$st" = Z ]; }
check "the process is gone (dead, at most waiting to be reaped)" dead "$VICTIM"

# ---- pause / unpause (engine) and freeze / thaw (cgroup) ----
check "pause through the engine API" "$PROBE" pause "$ID1"
check "the engine says the container is paused" test "$(docker inspect -f '{{.State.Paused}}' "$C1")" = true
check "pausing twice says why" bash -c "! '$PROBE' pause '$ID1' 2>&1 | grep -q 'is already paused' && false || true"
check "unpause through the engine API" "$PROBE" unpause "$ID1"
check "the container runs again" docker exec "$C1" true
check "freeze through the cgroup freezer" "$PROBE" freeze "$CG1"
check "the kernel says the cgroup is frozen" grep -q "^frozen 1" "$CG1/cgroup.events"
check "thaw" "$PROBE" thaw "$CG1"
check "the container runs after the thaw" docker exec "$C1" true
echo "t7005: $_checks checks passed"
