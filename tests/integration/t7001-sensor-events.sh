#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The runtime sensor end to end: a real kernel, the real engine, real containers. Two containers do one
# of each kind of watched action (exec, /etc/shadow read, file write, rename, chmod, TCP connect to the
# other one, bind/listen/accept, unix sockets, refused unshare and mount, ptrace, memfd_create, setuid,
# a failed exec, a non-zero exit); every event must arrive attributed to the right container id, name,
# image and image id, with the process's executable and command line. Host activity must not appear,
# unless --host.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime/lib.sh"
need_sensor
IMG=$(runtime_image)
IMG_ID=$(docker image inspect -f '{{.Id}}' "$IMG")

SRV=t7001-srv-$$
CLI=t7001-cli-$$
at_exit "docker rm -f $SRV $CLI >/dev/null 2>&1"
marker="$T/host-marker-$$"
echo marker >"$marker"

start_agent a1
docker run -d --name "$SRV" "$IMG" actions listen 8080 >/dev/null
SRV_IP=$(docker inspect -f '{{.NetworkSettings.IPAddress}}' "$SRV")
[ -n "$SRV_IP" ] || fail "the server container has no IP address"
docker run --name "$CLI" "$IMG" sh -c "
        cat /etc/shadow >/dev/null
        echo x >/tmp/f
        mv /tmp/f /tmp/g
        chmod 700 /tmp/g
        actions connect $SRV_IP 8080
        actions unix /tmp/sock
        actions unshare
        actions mount
        actions ptrace
        actions memfd t7001-memfd
        actions setuid 65534
        actions exec /nonexistent
        actions ia32-open /etc/shadow
        exit 3" >"$T/cli.out" 2>&1 || true
docker wait "$SRV" >/dev/null
cat "$marker" >/dev/null # host activity: must not show
CLI_ID=$(docker inspect -f '{{.Id}}' "$CLI")
SRV_ID=$(docker inspect -f '{{.Id}}' "$SRV")
sleep 1
stop_agent a1
note "$(wc -l <"$T/a1.jsonl") events; client said: $(tr '\n' ';' <"$T/cli.out")"

C=".container.name == \"$CLI\""
S=".container.name == \"$SRV\""
check "exec of the client's shell, attributed to its id, name, image and image id" \
        has_event a1 ".type == \"exec\" and $C and .exec.filename == \"/bin/sh\" and .result == 0 and
                .container.id == \"$CLI_ID\" and .image.name == \"$IMG\" and .image.id == \"$IMG_ID\" and
                .exec.args[0] == \"sh\" and .exec.cwd == \"/\" and .process.exe == \"/bin/busybox\""
check "the server's exec, attributed to the server" \
        has_event a1 ".type == \"exec\" and $S and .container.id == \"$SRV_ID\" and .exec.args == [\"actions\", \"listen\", \"8080\"]"
check "read of /etc/shadow, with the process's exe and cmdline" \
        has_event a1 ".type == \"open\" and $C and .file.path == \"/etc/shadow\" and (.file.access | index(\"read\")) and
                .result >= 0 and .process.exe == \"/bin/busybox\" and .process.cmdline == [\"cat\", \"/etc/shadow\"]"
check "file write (create, trunc)" \
        has_event a1 ".type == \"open\" and $C and .file.path == \"/tmp/f\" and (.file.access | index(\"write\")) and
                (.file.access | index(\"create\")) and (.file.access | index(\"trunc\"))"
check "rename /tmp/f -> /tmp/g" \
        has_event a1 ".type == \"rename\" and $C and .file.path == \"/tmp/f\" and .file.new_path == \"/tmp/g\" and .result == 0"
check "chmod 700 /tmp/g" \
        has_event a1 ".type == \"chmod\" and $C and .file.path == \"/tmp/g\" and .file.mode == \"0700\" and .result == 0"
check "TCP connect to the server container" \
        has_event a1 ".type == \"connect\" and $C and .network.family == \"ipv4\" and .network.protocol == \"tcp\" and
                .network.remote.address == \"$SRV_IP\" and .network.remote.port == 8080 and .result == 0 and
                .network.local.port > 0"
check "bind and listen on 8080 in the server" \
        has_event a1 ".type == \"bind\" and $S and .network.local.port == 8080 and .result == 0"
check "listen in the server" \
        has_event a1 ".type == \"listen\" and $S and .network.local.port == 8080 and .network.backlog == 5"
check "accept in the server, with the client's address" \
        has_event a1 ".type == \"accept\" and $S and .result >= 0 and .network.local.port == 8080 and
                .network.remote.address != null and .network.remote.address != \"$SRV_IP\""
check "unix socket bind and connect" \
        has_event a1 ".type == \"connect\" and $C and .network.family == \"unix\" and .network.unix_path == \"/tmp/sock\""
check "the refused unshare attempt" \
        has_event a1 ".type == \"unshare\" and $C and .result < 0 and (.namespace.flags | index(\"net\")) and (.namespace.flags | index(\"mnt\"))"
check "the refused mount attempt" \
        has_event a1 ".type == \"mount\" and $C and .mount.target == \"/mnt\" and .mount.fstype == \"tmpfs\" and .result < 0"
check "ptrace (TRACEME in the child, CONT from the parent)" \
        has_event a1 ".type == \"ptrace\" and $C and .ptrace.request == \"PTRACE_TRACEME\""
check "ptrace CONT names its target" \
        has_event a1 ".type == \"ptrace\" and $C and .ptrace.request == \"PTRACE_CONT\" and .ptrace.target_pid > 0"
check "memfd_create with its name" \
        has_event a1 ".type == \"memfd\" and $C and .memfd.name == \"t7001-memfd\" and .result >= 0"
check "setuid(65534)" \
        has_event a1 ".type == \"setid\" and $C and .syscall == \"setuid\" and .setid.uid == 65534 and .result == 0"
check "the failed exec of /nonexistent" \
        has_event a1 ".type == \"exec\" and $C and .exec.filename == \"/nonexistent\" and .error == \"ENOENT\""
if [ "$(uname -m)" = x86_64 ] && grep -q '^ia32-open [0-9]' "$T/cli.out"; then
        check "an ia32 open (int 0x80 from a 64-bit program) of /etc/shadow, flagged compat" \
                has_event a1 ".type == \"open\" and $C and .compat == true and .syscall == \"open\" and
                        .file.path == \"/etc/shadow\" and (.file.access | index(\"read\")) and .result >= 0 and
                        .process.cmdline == [\"actions\", \"ia32-open\", \"/etc/shadow\"]"
        check "the ia32 hook is listed active" grep -q "active      sys_exit (ia32)" "$T/a1.err"
else
        note "no ia32 check: not x86-64 or the kernel has no ia32 emulation ($(grep ia32-open "$T/cli.out"))"
fi
check "fork in the client" \
        has_event a1 ".type == \"fork\" and $C and .fork.child_pid > 0"
check "the client's shell exits with 3" \
        has_event a1 ".type == \"exit\" and $C and .exit.code == 3 and .process.comm == \"sh\""
check "no event without a container (no host activity)" \
        test "$(count_events a1 '.container == null')" = 0
check "the host's read of the marker is not there" \
        test "$(count_events a1 ".file.path == \"$marker\"")" = 0
check "every event has time, host, type and a process" \
        test "$(count_events a1 '(.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{9}Z$") | not) or .host == null or .type == null or .process.pid == null')" = 0
check "no drops" stats_ok a1 '.drops == 0 and .decode_errors == 0'
check "the hook listing names the active hooks" grep -q "active      sys_exit:openat" "$T/a1.err"

# --host: host activity too, flagged, with no container; with --no-ia32 (the per-syscall tracepoints
# instead of the raw sys_exit hook, blind to int 0x80)
start_agent a2 --host --no-ia32
cat "$marker" >/dev/null
docker run --rm "$IMG" sh -c "cat /etc/hostname >/dev/null; actions ia32-open /etc/passwd" >/dev/null
sleep 1
stop_agent a2
check "--no-ia32: the handlers are on per-syscall tracepoints" grep -q "active      syscalls:sys_exit_\*" "$T/a2.err"
if [ "$(uname -m)" = x86_64 ]; then
        check "--no-ia32: the listing says ia32 syscalls are not watched" \
                grep -q "unavailable sys_exit (ia32)" "$T/a2.err"
        check "--no-ia32: (so the ia32 open of /etc/passwd is not seen)" \
                test "$(count_events a2 '.file.path == "/etc/passwd" and .compat == true')" = 0
fi
check "--host: the host's read of the marker, flagged host" \
        has_event a2 ".type == \"open\" and .file.path == \"$marker\" and .on_host == true and .container == null"
check "--host: container events keep their container" \
        has_event a2 ".type == \"open\" and .file.path == \"/etc/hostname\" and .image.name == \"$IMG\" and .on_host != true"
check "--host: the agent's own activity is not recorded" \
        test "$(count_events a2 ".process.pid == $AGENT_PID")" = 0
