#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Time from a detection to the process being stopped, in protect mode: a container starts N short
# shells, each opening /etc/shadow and then sleeping (rule sensitive-file-read, action kill in protect).
# The agent stops each one (SIGSTOP, evidence, SIGKILL) and prints, at exit, the latency from the
# kernel's event time to the finding and to the stop, p50/p99/max. Also the agent's peak RSS.
#
# Usage: bench/detect-latency.sh [N]   (default 300). Needs root, dockerd, a built stockade and what
# tests/integration/runtime/build-image.sh needs. Prints a Markdown block for bench/results-detect.md.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
STOCKADE=${STOCKADE:-$src/build/stockade}
n=${1:-300}
img=$("$src/tests/integration/runtime/build-image.sh")
tmp=$(mktemp -d)
name=bench-detect-$$
trap 'docker rm -f $name >/dev/null 2>&1; rm -rf "$tmp"' EXIT
"$STOCKADE" agent -q --alerts "$tmp/alerts.jsonl" --state "$tmp/state" --default-mode protect \
        --stats-interval 0 2>"$tmp/err" &
agent=$!
for _ in $(seq 100); do grep -q "hooks active" "$tmp/err" && break; sleep 0.1; done
sleep 1
docker run -d --name "$name" "$img" sh -c "sleep 1; i=0; while [ \$i -lt $n ]; do
        sh -c 'read x </etc/shadow; sleep 5' & i=\$((i+1)); sleep 0.02; done; wait" >/dev/null
docker wait "$name" >/dev/null
rss=$(awk '/VmHWM/ {print $2}' "/proc/$agent/status")
kill -INT "$agent"
wait "$agent" || true
echo "### $(date -u +%F) on $(nproc) CPUs, $(uname -r): $n shells reading /etc/shadow in protect mode"
echo
echo '```'
echo "bench/detect-latency.sh $n"
grep -h "findings\|event to detection\|detection to" "$tmp/err" | sed 's/^stockade: agent: //'
echo "agent peak RSS: $((rss / 1024)) MiB"
echo '```'
