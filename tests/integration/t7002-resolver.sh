#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The container resolver against the real engine: containers running before the agent are found; 200
# short-lived containers are each attributed by name and image and leave no state behind (containers,
# cgroup mappings, the kernel filter's map, held events); and when the engine dies and comes back the
# agent reconnects and keeps attributing. The engine that is killed is a private dockerd (its own data
# root, socket, bridge and cgroup parent), never the machine's. Not --bridge=none: a dockerd started so
# deletes the host's docker0, which belongs to the machine's engine.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime/lib.sh"
need_sensor
need_cmd dockerd
IMG=$(runtime_image)

PRE=t7002-pre-$$
at_exit "docker rm -f $PRE >/dev/null 2>&1"
docker run -d --name "$PRE" "$IMG" sleep 3600 >/dev/null

start_agent a1 --stats-interval 0
check "the container running before the agent is registered at start" \
        grep -Eq "[1-9][0-9]* container cgroups found running" "$T/a1.err"
docker exec "$PRE" cat /etc/hostname >/dev/null
check "activity in the pre-existing container is attributed by name and image" \
        wait_event a1 ".type == \"open\" and .file.path == \"/etc/hostname\" and .container.name == \"$PRE\" and
                .image.name == \"$IMG\" and (.container.incomplete | not)"

# 200 short-lived containers, four at a time
N=${T7002_CONTAINERS:-200}
run_lane() {
        local lane=$1 i
        for ((i = lane; i <= N; i += 4)); do
                docker run --rm --name "t7002-s-$$-$i" "$IMG" cat /etc/hostname >/dev/null 2>&1 || echo "run $i failed" >>"$T/lanes.err"
        done
}
start=$(date +%s)
lanes=()
for lane in 1 2 3 4; do
        run_lane $lane &
        lanes+=($!)
done
wait "${lanes[@]}" # not a bare wait: the agent is a child too
note "$N containers in $(($(date +%s) - start)) s"
[ ! -s "$T/lanes.err" ] || { cat "$T/lanes.err" >&2; fail "some containers did not run"; }
sleep 3 # the engine's destroy events, the kernel's cgroup removals; the counters are written every second
cp "$T/a1.stats.json" "$T/after.json"
running=$(docker ps -q | wc -l)
note "after: $(cat "$T/after.json"); $running containers running on the engine"

missing=0
jq -r 'select(.type == "open" and .file.path == "/etc/hostname" and .process.cmdline == ["cat", "/etc/hostname"]
        and .image.name == "'"$IMG"'" and (.container.incomplete | not)) | .container.name' "$T/a1.jsonl" |
        sort -u >"$T/names"
for ((i = 1; i <= N; i++)); do
        grep -qx "t7002-s-$$-$i" "$T/names" || { missing=$((missing + 1)); echo "not attributed: t7002-s-$$-$i" >&2; }
done
check "each of the $N short-lived containers' reads is attributed to it by name and image" test "$missing" = 0
execs=$(jq -r 'select(.type == "exec" and .exec.filename == "/bin/cat" and (.container.name // "" | startswith("t7002-s-'$$'-"))) | .container.name' "$T/a1.jsonl" | sort -u | wc -l)
check "each one's exec is attributed too ($execs)" test "$execs" = "$N"
check "no container entry left behind (at most the running ones)" \
        json_ok "$T/after.json" ".containers <= $running + 1 and .cgroups <= $running + 1"
check "no cgroup left in the kernel filter" json_ok "$T/after.json" ".watched_cgroups <= $running + 1"
check "nothing held, nothing waiting for the engine" json_ok "$T/after.json" '.held_now == 0 and .resolving == 0'

check "the process table does not keep exited processes" json_ok "$T/after.json" '.processes < 50'
check "no drops" json_ok "$T/after.json" '.drops == 0 and .decode_errors == 0' 
stop_agent a1

# ---- the engine goes away and comes back (a private dockerd) ----
D="$T/d"
mkdir -p "$D"
DH="unix://$D/docker.sock"
BR=stk7002-$$
BR=${BR:0:15}
need_cmd ip
start_dockerd() {
        rm -f "$D/docker.pid"
        if ! ip link show "$BR" >/dev/null 2>&1; then
                ip link add "$BR" type bridge && ip addr add 10.213.77.1/24 dev "$BR" && ip link set "$BR" up ||
                        fail "cannot create the private engine's bridge $BR"
        fi
        (dockerd --data-root "$D/data" --exec-root "$D/exec" -H "$DH" --pidfile "$D/docker.pid" --bridge="$BR" \
                --iptables=false --ip-masq=false --ip-forward=false --storage-driver=vfs \
                --cgroup-parent=/stockade-t7002-$$ >>"$D/log" 2>&1 &)
        local i
        for i in $(seq 60); do docker -H "$DH" info >/dev/null 2>&1 && return 0; sleep 0.5; done
        tail -n 5 "$D/log" >&2
        fail "the private dockerd did not start"
}
stop_dockerd() {
        local pid
        pid=$(cat "$D/docker.pid" 2>/dev/null) || return 0
        kill "$pid" 2>/dev/null
        for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -9 "$pid" 2>/dev/null || true
        pkill -f "containerd --config $D/exec/" 2>/dev/null || true
        local m
        for m in $(awk -v d="$D" '$5 ~ "^"d {print $5}' /proc/self/mountinfo | sort -r); do umount -l "$m" 2>/dev/null || true; done
        rmdir /sys/fs/cgroup/*/stockade-t7002-$$ /sys/fs/cgroup/stockade-t7002-$$ 2>/dev/null || true
        ip link del "$BR" 2>/dev/null || true
}
at_exit stop_dockerd
start_dockerd
docker save "$IMG" | docker -H "$DH" load >/dev/null

start_agent a2 --stats-interval 0 --docker-host "$DH"
docker -H "$DH" run --rm --name t7002-before-$$ "$IMG" cat /etc/hostname >/dev/null
check "the private engine's container is attributed" \
        wait_event a2 ".type == \"open\" and .file.path == \"/etc/hostname\" and .container.name == \"t7002-before-$$\""

kill -9 "$(cat "$D/docker.pid")"
for _ in $(seq 50); do stats_ok a2 '.engine_connected | not' && break; sleep 0.2; done
check "the agent notices the engine is gone" stats_ok a2 '.engine_connected | not'
sleep 2 # a few failed reconnects, with backoff
start_dockerd
# (the re-list follows the events stream's reconnection: wait for both; the engine may be slow under load)
for _ in $(seq 150); do
        stats_ok a2 '.engine_connected and .engine_reconnects >= 1 and .engine_lists >= 2' && break
        sleep 0.2
done
check "the agent reconnects by itself" stats_ok a2 '.engine_connected and .engine_reconnects >= 1 and .engine_lists >= 2'
docker -H "$DH" run --rm --name t7002-after-$$ "$IMG" cat /etc/hostname >/dev/null
check "and keeps attributing" \
        wait_event a2 ".type == \"open\" and .file.path == \"/etc/hostname\" and .container.name == \"t7002-after-$$\" and
                .image.name == \"$IMG\""
stop_agent a2
check "the agent counted the reconnects" grep -q "engine connected" "$T/a2.err"
