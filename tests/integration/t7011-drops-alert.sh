#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sensor drops are never silent: with a ring buffer too small for a burst, the agent raises an alert of
# kind sensor-drops (stockade-alerts(5)), aggregated into one incident whose count grows.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime/lib.sh"
need_sensor
IMG=$(runtime_image)
NAME=t7011-$$
at_exit "docker rm -f $NAME >/dev/null 2>&1"

start_agent a1 --ringbuf-size 65536 --open-repeat-window 0 --alerts "$T/a1.alerts" --state "$T/state" --socket "$T/sock"
docker run --name "$NAME" "$IMG" sensor-load open 2000000 >/dev/null # (as t7003: enough to overrun a 64 KiB ring)
sleep 2
stop_agent a1
check "the kernel dropped events" stats_ok a1 '.drops > 0'
jq -c -R 'fromjson? | select(.kind == "sensor-drops")' "$T/a1.alerts" >&2
check "an alert of kind sensor-drops, naming the dropped types" \
        json_ok <(jq -s -R '[split("\n")[] | fromjson? | select(.kind == "sensor-drops")]' "$T/a1.alerts") \
        'length >= 1 and (.[0].rule.id == "sensor-drops") and (.[0].observed | test("events dropped by the kernel \\(.*[a-z]+ [0-9]+\\)"))'
check "one incident for all the drops" \
        test "$(jq -R 'fromjson? | select(.kind == "sensor-drops") | .incident' "$T/a1.alerts" | sort -u | wc -l)" = 1
