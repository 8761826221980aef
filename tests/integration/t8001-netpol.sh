#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Network micro-perimeters end to end, on real containers on a user-defined bridge network:
# client → api → db. The agent learns the graph; the generated policy is applied in protect mode; the
# allowed flows keep working; client → db and egress to an unknown address fail and are alerted; a new
# api replica gets the same perimeter (and db's set of api addresses grows) without a rebuild; a
# replica that stops leaves the set; a flushed perimeter is re-asserted; perimeters and alerting survive
# an agent restart; monitor mode lets the flow through but alerts; the Kubernetes export names the
# right selectors and ports; an invalid policy is refused with FILE:LINE and changes nothing.
# Only this test's workloads (unique service labels) are ever put under a policy.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime/lib.sh"
need_sensor
need_cmd nsenter nft
IMG=$(runtime_image)

P=t8001-$$
NET=$P-net
NP=$T/np
docker network create "$NET" >/dev/null
at_exit "docker network rm $NET >/dev/null 2>&1"
at_exit "docker rm -f $P-db $P-api $P-api2 $P-client $P-hostnet >/dev/null 2>&1"

# get NAME PORT: one HTTP request with busybox nc (busybox wget crashes in static glibc's NSS), the name
# resolved by Docker's DNS through busybox nslookup; prints the body's last line.
cat >"$T/req.sh" <<'EOF'
get() { ip=$(nslookup "$1" 2>/dev/null | awk '/^Address/{a=$NF} END{print a}'); printf 'GET / HTTP/1.0\r\nHost: %s\r\n\r\n' "$1" | nc -w 2 "$ip" "$2" 2>/dev/null | tail -n 1; }
EOF
run() { # run NAME SERVICE SCRIPT
        docker run -d --name "$1" --network "$NET" --network-alias "$2" -v "$T/req.sh:/req.sh:ro" \
                --label "com.docker.compose.service=$P-$2" "$IMG" sh -c ". /req.sh; $3" >/dev/null
}
pid_of() { docker inspect -f '{{.State.Pid}}' "$1"; }
ip_of() { docker inspect -f "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}" "$1"; }
has_table() { nsenter -n -t "$(pid_of "$1")" nft list table inet stockade >/dev/null 2>&1; }
wait_for() { # wait_for SECONDS COMMAND…
        local n=$(($1 * 10)) _
        shift
        for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
        return 1
}
graph_has() { "$STOCKADE" netpol graph -d "$NP" | grep -qF "$1"; }
alerts() { [ -f "$NP/alerts.jsonl" ] && jq -c "select($1)" "$NP/alerts.jsonl" || true; }
has_alert() { [ -n "$(alerts "$1")" ]; }

SOCK=$T/agent.sock
start_agent a1 --netpol "$NP" --stats-interval 0 --state "$T/state" --socket "$SOCK"
run "$P-db" db 'mkdir -p /w && echo db-ok > /w/index.html && exec httpd -f -p 5432 -h /w'
run "$P-api" api 'mkdir -p /w && echo api-ok > /w/index.html && httpd -p 8080 -h /w; while :; do get db 5432 > /tmp/last; sleep 0.3; done'
run "$P-client" client 'while :; do get api 8080 > /tmp/last; sleep 0.3; done'
# a replica of client on the host's network: the policy selects it, but a perimeter in its namespace
# would fence the host, so it must never get one
docker run -d --name "$P-hostnet" --network host --label "com.docker.compose.service=$P-client" "$IMG" sleep 3600 >/dev/null

# ---- learn ----
check "the graph learns client -> api tcp/8080" wait_for 30 graph_has "$P-client -> $P-api tcp/8080"
check "the graph learns api -> db tcp/5432" wait_for 30 graph_has "$P-api -> $P-db tcp/5432"
# protocol identification from the first payload (the capture on each container's cgroup)
edge_app() { "$STOCKADE" netpol graph -d "$NP" --format json |
        jq -e --arg s "$1" --arg d "$2" --arg h "$3" 'any(.edges[]; .src == $s and .dst == $d and .app == "http" and .app_host == $h)' >/dev/null; }
check "the graph names the application protocol of client -> api: http, Host api" wait_for 30 edge_app "$P-client" "$P-api" api
check "and of api -> db: http, Host db" wait_for 30 edge_app "$P-api" "$P-db" db
check "the text graph shows it" graph_has "$P-client -> $P-api tcp/8080 http"
check "the agent's counters show the capture: on, flows identified, nothing lost" \
        wait_for 5 stats_ok a1 '.netpol.capture and .netpol.identified > 0 and .netpol.capture_lost == 0 and .netpol.containers >= 3'
"$STOCKADE" netpol graph -d "$NP" --format dot >"$T/graph.dot"
check "the DOT graph has the edge, with its protocol" grep -qF "\"$P-client\" -> \"$P-api\" [label=\"tcp/8080 http\"]" "$T/graph.dot"
"$STOCKADE" netpol graph -d "$NP" --format json >"$T/graph.json"
check "the JSON graph has the edge" \
        json_ok "$T/graph.json" "any(.edges[]; .src == \"$P-api\" and .dst == \"$P-db\" and .port == 5432 and .protocol == \"tcp\")"
"$STOCKADE" policy --socket "$SOCK" graph >"$T/policy-graph.txt"
check "stockade policy graph (over the agent's control socket) shows the same graph" \
        grep -qF "$P-api -> $P-db tcp/5432" "$T/policy-graph.txt"
check "client -> db was never seen" sh -c "! \"$STOCKADE\" netpol graph -d \"$NP\" | grep -qF \"$P-client -> $P-db\""

check "the agent knows the host-network replica, without addresses of its own" wait_for 10 \
        json_ok "$NP/containers.json" "any(.[]; .name == \"$P-hostnet\" and .addresses == [])"

# ---- protect ----
"$STOCKADE" netpol generate -d "$NP" --mode protect -o "$T/policy.yaml" "$P-client" "$P-api" "$P-db"
check "the generated policy is valid" "$STOCKADE" netpol check "$T/policy.yaml"
"$STOCKADE" netpol apply -d "$NP" "$T/policy.yaml"
check "api's perimeter is installed in its network namespace" wait_for 10 has_table "$P-api"
check "db's and client's too" wait_for 10 sh -c "$(declare -f has_table pid_of); has_table $P-db && has_table $P-client"
nsenter -n -t "$(pid_of "$P-api")" nft list table inet stockade >"$T/api.nft"
check "api's table drops what the policy does not allow" grep -q 'drop comment "stockade: denied egress"' "$T/api.nft"
check "Docker's own rules are untouched and the host-network replica got no perimeter (no stockade table on the host)" \
        sh -c "! nft list ruleset 2>/dev/null | grep -q stockade"

sleep 1.5 # loops that were mid-request when the perimeter arrived finish
docker exec "$P-client" sh -c 'rm -f /tmp/last'
docker exec "$P-api" sh -c 'rm -f /tmp/last'
check "client -> api keeps working" wait_for 10 sh -c "docker exec $P-client cat /tmp/last 2>/dev/null | grep -q api-ok"
check "api -> db keeps working" wait_for 10 sh -c "docker exec $P-api cat /tmp/last 2>/dev/null | grep -q db-ok"
check "client -> db fails" sh -c "! docker exec $P-client sh -c '. /req.sh; get db 5432' | grep -q db-ok"
check "api -> an unknown address fails" sh -c "! docker exec $P-api nc -w 2 192.0.2.1 80 </dev/null"
check "client -> db is alerted as lateral movement, denied" wait_for 10 has_alert \
        ".rule.id == \"netpol-lateral-movement\" and .container.name == \"$P-client\" and .action == \"denied\" and
         (.observed | contains(\"to $P-db\")) and (.observed | contains(\"tcp/5432\")) and .mitre.tactic == \"lateral-movement\""
check "the egress to 192.0.2.1 is alerted, denied" wait_for 10 has_alert \
        ".rule.id == \"netpol-unexpected-egress\" and .container.name == \"$P-api\" and .action == \"denied\" and
         (.observed | contains(\"192.0.2.1\")) and (.expected | contains(\"$P-db tcp/5432\"))"
check "the lateral movement is also an incident in the agent's store (the runtime alert stream)" wait_for 10 \
        sh -c "'$STOCKADE' incidents list --state '$T/state' --format json |
               jq -e '[.[] | select(.rule_id == \"netpol-lateral-movement\")] | length > 0' >/dev/null"
check "the alert carries the runtime alert fields" has_alert \
        ".container.name == \"$P-client\" and .container.id and .image.name == \"$IMG\" and .severity and .process.pid and
         (.process.cmdline | index(\"nc\")) and .time and .host and .count == 1"
check "no alert for the allowed flows" \
        test -z "$(alerts "(.observed | contains(\"$P-client to $P-api\")) or (.observed | contains(\"$P-api to $P-db\"))")"

# ---- a new replica ----
run "$P-api2" api 'mkdir -p /w && echo api2-ok > /w/index.html && httpd -p 8080 -h /w; while :; do get db 5432 > /tmp/last; sleep 0.3; done'
start=$(date +%s%N)
check "the new api replica gets the perimeter" wait_for 10 has_table "$P-api2"
note "api2 perimeter $((($(date +%s%N) - start) / 1000000)) ms after docker run returned"
api2_ip=$(ip_of "$P-api2")
db_api_set() { nsenter -n -t "$(pid_of "$P-db")" nft list table inet stockade | grep -A4 "comment \"w:$P-api\"" | grep elements; }
check "db's set of api addresses gains api2 ($api2_ip)" wait_for 10 sh -c "$(declare -f db_api_set pid_of); P=$P; db_api_set | grep -qF $api2_ip"
nsenter -n -t "$(pid_of "$P-api2")" nft list table inet stockade | sed -e '/elements/d' -e '/comment "stockade perimeter/d' >"$T/api2.rules"
sed -e '/elements/d' -e '/comment "stockade perimeter/d' "$T/api.nft" | sed -e 's/packets [0-9]* bytes [0-9]*//' >"$T/api.rules"
sed -i -e 's/packets [0-9]* bytes [0-9]*//' "$T/api2.rules"
check "api2's rules are api's rules" diff -u "$T/api.rules" "$T/api2.rules"
check "api2 -> db works" wait_for 10 sh -c "docker exec $P-api2 cat /tmp/last 2>/dev/null | grep -q db-ok"
check "api2 -> an unknown address fails" sh -c "! docker exec $P-api2 nc -w 2 192.0.2.1 80 </dev/null"
docker rm -f "$P-api2" >/dev/null
check "the stopped replica leaves db's set" wait_for 10 sh -c "$(declare -f db_api_set pid_of); P=$P; ! db_api_set | grep -qF $api2_ip"

# ---- an external flush ----
nsenter -n -t "$(pid_of "$P-api")" nft delete table inet stockade
check "a removed perimeter is re-asserted" wait_for 10 has_table "$P-api"
check "the agent said so" wait_for 5 grep -q "was removed: re-asserted" "$T/a1.err"

# ---- agent restart ----
stop_agent a1
check "perimeters stay in force while the agent is down" has_table "$P-db"
start_agent a2 --netpol "$NP" --stats-interval 0 --state "$T/state" --socket "$SOCK"
before=$(alerts ".container.name == \"$P-client\" and (.observed | contains(\"to $P-db\"))" | wc -l)
docker exec "$P-client" sh -c '. /req.sh; get db 5432' >/dev/null || true
check "after a restart client -> db is still denied and alerted again" wait_for 10 sh -c \
        "[ \$(jq -c 'select(.container.name == \"$P-client\" and (.observed | contains(\"to $P-db\")))' $NP/alerts.jsonl | wc -l) -gt $before ]"
check "the graph survived the restart" graph_has "$P-api -> $P-db tcp/5432"

# ---- monitor mode ----
# the issue's spelling: `policy mode --all` switches the models and the network perimeters
"$STOCKADE" policy --socket "$SOCK" mode --all monitor >"$T/mode.out" || fail "policy mode --all monitor failed"
check "policy mode --all says the perimeters switched" grep -q "network perimeters now in monitor mode" "$T/mode.out"
check "the policy file now says monitor" grep -q '^mode: monitor' "$NP/policy.yaml"
check "the perimeters switch to monitor" wait_for 10 sh -c \
        "nsenter -n -t $(pid_of "$P-client") nft list table inet stockade | grep -q 'would deny egress'"
check "in monitor mode client -> db goes through" sh -c "docker exec $P-client sh -c '. /req.sh; get db 5432' | grep -q db-ok"
check "and is alerted with action alert" wait_for 10 has_alert \
        ".container.name == \"$P-client\" and (.observed | contains(\"to $P-db\")) and .action == \"alert\" and .mode == \"monitor\""
"$STOCKADE" netpol mode -d "$NP" "$P-db" protect
check "one workload's mode is set in the file" \
        sh -c "grep -A8 'name: \"$P-db\"' $NP/policy.yaml | grep 'mode: protect' >/dev/null"

# ---- Kubernetes export ----
"$STOCKADE" netpol export-k8s -d "$NP" --namespace shop >"$T/k8s.yaml"
python3 - "$T/k8s.yaml" "$P" <<'EOF' || fail "the NetworkPolicy export is wrong (see above)"
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
p = sys.argv[2]
by = {d["metadata"]["name"]: d for d in docs}
assert all(d["apiVersion"] == "networking.k8s.io/v1" and d["kind"] == "NetworkPolicy" for d in docs)
assert all(d["metadata"]["namespace"] == "shop" for d in docs)
sel = lambda s: {"matchLabels": {"com.docker.compose.service": f"{p}-{s}"}}
api, db, client = by[f"stockade-{p}-api"], by[f"stockade-{p}-db"], by[f"stockade-{p}-client"]
assert api["spec"]["podSelector"] == sel("api"), api["spec"]["podSelector"]
assert api["spec"]["policyTypes"] == ["Ingress", "Egress"]
ing = api["spec"]["ingress"]
assert any(r["from"] == [{"podSelector": sel("client")}] and r["ports"] == [{"protocol": "TCP", "port": 8080}] for r in ing), ing
eg = api["spec"]["egress"]
assert any(r["to"] == [{"podSelector": sel("db")}] and r["ports"] == [{"protocol": "TCP", "port": 5432}] for r in eg), eg
assert db["spec"]["podSelector"] == sel("db") and db["spec"]["egress"] == []
assert any(r["from"] == [{"podSelector": sel("api")}] and r["ports"] == [{"protocol": "TCP", "port": 5432}] for r in db["spec"]["ingress"])
assert client["spec"]["ingress"] == []
print("k8s export ok:", sorted(by))
EOF
check "the NetworkPolicy export names the right selectors and ports" true

# ---- an invalid policy changes nothing ----
cp "$NP/policy.yaml" "$T/before.yaml"
printf 'apiVersion: stockade/v1\nkind: NetworkPolicy\nworkloads:\n  - name: x\n    selector: {labels: {a: b}}\n    ingress:\n      - ports: [99999]\n' >"$T/bad.yaml"
rc=0
"$STOCKADE" netpol apply -d "$NP" "$T/bad.yaml" 2>"$T/bad.err" || rc=$?
check "an invalid policy is refused (exit 2)" test "$rc" = 2
check "with FILE:LINE:COLUMN and the reason" grep -qF "$T/bad.yaml:7:17: '99999' is not a port" "$T/bad.err"
check "and the installed policy is unchanged" cmp "$T/before.yaml" "$NP/policy.yaml"

# leave nothing behind: learn mode removes every perimeter
rm -f "$NP/policy.yaml"
check "removing the policy removes the perimeters" wait_for 10 sh -c "$(declare -f has_table pid_of); ! has_table $P-api && ! has_table $P-db"
stop_agent a2
