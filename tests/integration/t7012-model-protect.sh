#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The learned model blocks, end to end: a workload learns by itself (--learn-for 4s --stability 2s), with
# the built-in rules left in monitor mode (so any blocking seen here is the model's); then `stockade
# policy mode IMAGE protect`, and inside the container: an executable of the image never run while
# learning is denied before it runs (the exec guard: it prints nothing, the shell gets EPERM) and alerted
# as a deviation with action denied; a connection to a peer never seen is cut (the process is killed)
# and alerted; the workload keeps running with no alert of its own before, during and after. Back in
# monitor mode the same kind of deviation runs and is only alerted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime/lib.sh"
need_sensor
IMG=$(runtime_image)
S=$T/state
SOCK=$T/agent.sock
A=$T/alerts.jsonl
P() { "$STOCKADE" policy --socket "$SOCK" "$@"; }
W=t7012-w-$$
at_exit "docker rm -f $W >/dev/null 2>&1"
# alerts FILTER: the alerts matching a jq filter (one per line)
alerts() { jq -c -R "fromjson? | select($1)" "$A" 2>/dev/null; }
wait_alert() { local _; for _ in $(seq 100); do [ -n "$(alerts "$1" | head -n 1)" ] && return 0; sleep 0.1; done; return 1; }

start_agent a1 --stats-interval 0 --state "$S" --socket "$SOCK" --alerts "$A" --learn-for 4s --stability 2s
docker run -d --name "$W" "$IMG" sh -c 'while :; do cat /etc/hostname >/dev/null; sleep 0.5; done' >/dev/null
for _ in $(seq 150); do
        P show "$IMG" 2>/dev/null | grep -Eq "^mode  *monitor" && break
        sleep 0.2
done
check "the model left learning by itself (monitor)" sh -c "\"$STOCKADE\" policy --socket '$SOCK' show '$IMG' | grep -Eq '^mode  *monitor'"
check "no alert from the workload while it learned and was monitored" test -z "$(alerts '.container.name == "'"$W"'"')"

P mode "$IMG" protect >/dev/null
check "switched to protect" sh -c "\"$STOCKADE\" policy --socket '$SOCK' show '$IMG' | grep -Eq '^mode  *protect'"
sleep 1.5 # the next events of the container put it under the exec guard and the connect hook

INIT=$(docker inspect -f '{{.State.Pid}}' "$W")
# the workload's own processes: its first process and its children (the harness's `docker exec`s are not)
OWN='.container.name == "'"$W"'" and (.process.pid == '"$INIT"' or .process.ppid == '"$INIT"')'

# 1. an executable of the image that never ran while learning
out=$(docker exec "$W" sh -c '/bin/actions setuid 0; echo "rc=$?"' 2>&1 || true)
note "the exec of /bin/actions in protect mode: $(echo "$out" | tr '\n' ';')"
check "protect: /bin/actions was denied before it ran (it printed nothing)" sh -c "! echo '$out' | grep -q '^setuid'"
check "protect: the shell saw the exec refused (EPERM, 126)" sh -c "echo '$out' | grep -q 'rc=126'"
check "protect: a deviation alert (model.process) names the executable, action denied" \
        wait_alert '.kind == "deviation" and .rule.id == "model.process" and .container.name == "'"$W"'" and (.observed | contains("/bin/actions")) and .action == "denied"'

# 2. a peer never seen: a connection (busybox telnet, an executable the model knows) to a listener on
# the host (the bridge's gateway; a container of the same image would be under the same model), held
# open; the model's network deviation stops the process
sleep 30 | busybox nc -l -p 6001 >/dev/null 2>&1 &
LISTENER=$!
at_exit "kill $LISTENER 2>/dev/null"
PEER=$(docker inspect -f '{{.NetworkSettings.Gateway}}' "$W")
out=$(docker exec "$W" sh -c "sleep 5 | telnet $PEER 6001; echo rc=\$?" 2>&1 || true)
note "telnet to $PEER:6001 in protect mode: $(echo "$out" | tr '\n' ';')"
check "protect: the connection outside the model is alerted (model.network), the process killed" \
        wait_alert '.kind == "deviation" and .rule.id == "model.network" and .container.name == "'"$W"'" and (.observed | contains("port 6001")) and .action == "killed"'
check "protect: telnet did not finish normally (killed)" sh -c "echo '$out' | grep -q 'rc=137'"

# the workload goes on, and nothing of its own was alerted
sleep 1
check "the workload still runs" test "$(docker inspect -f '{{.State.Running}}' "$W")" = true
check "no alert about the workload's own behaviour, before, during or after" test -z "$(alerts "$OWN")"

# 3. monitor: alerted, not blocked
P mode "$IMG" monitor >/dev/null
out=$(docker exec "$W" /bin/sensor-load getppid 1 2>&1 || true)
note "sensor-load in monitor mode: $out"
check "monitor: an executable outside the model runs" sh -c "echo '$out' | grep -q '^1 '"
check "monitor: and is alerted, action alert" \
        wait_alert '.kind == "deviation" and .rule.id == "model.process" and .container.name == "'"$W"'" and (.observed | contains("sensor-load")) and .action == "alert"'
check "still no alert about the workload's own behaviour" test -z "$(alerts "$OWN")"
note "alerts: $(alerts true | jq -c '{kind, rule: .rule.id, observed, action}' | tr '\n' ' ')"
stop_agent a1
