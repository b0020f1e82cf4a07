#!/usr/bin/env bash
# Benchmarks zd-titanic: titanic.request round trips per second (a request is answered once
# it is durable) with N clients, next to the same clients calling the echo service directly
# through the same broker (the baseline, same run). Also reports the end-to-end rate: until
# Titanic has dispatched every stored request and stored its reply.
# The reference (the zguide's Titanic, no fsync at all) did about 1.3 k requests/s here.
#
# Usage: scripts/bench_titanic.sh [BUILD_DIR]      (default: build-titanic, then build-release)
# Environment:
#   ZD_TITANIC_CLIENTS  client counts         (default: "1 8 32")
#   ZD_TITANIC_SECONDS  seconds per cell      (default: 3)
#   ZD_TITANIC_SIZE     request body bytes    (default: 256)
#   ZD_TITANIC_FSYNC    Titanic's --fsync modes (default: "batch never")
#   ZD_TITANIC_ARGS     more zd-titanic options, e.g. '--request-workers 32'
#   ZD_TITANIC_DIR      parent of the journal directory (default: a temp dir under /tmp;
#                       use a directory on the disk you want to measure)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-}
if [[ -z $build ]]; then
    for candidate in "$root/build-titanic" "$root/build-release"; do
        [[ -x $candidate/devices/zd-titanic ]] && build=$candidate && break
    done
fi
[[ -n $build && -x $build/devices/zd-titanic ]] || {
    echo "bench_titanic.sh: no zd-titanic in ${build:-build-titanic or build-release}; build first" >&2
    exit 2
}
clients_list=${ZD_TITANIC_CLIENTS:-1 8 32}
seconds=${ZD_TITANIC_SECONDS:-3}
size=${ZD_TITANIC_SIZE:-256}
fsync_modes=${ZD_TITANIC_FSYNC:-batch never}
bench=$build/tests/titanic/titanic-bench

work=$(mktemp -d "${ZD_TITANIC_DIR:-/tmp}/zd-titanic-bench.XXXXXX")
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Starts a device in the background with stderr to a file, waits for its ready line and
# sets variable VAR to the value of its field NAME (endpoint=@tcp://127.0.0.1:PORT ->
# tcp://127.0.0.1:PORT). Not in a $(...) subshell: pids must reach the cleanup.
start() {
    local var=$1 name=$2 log=$3
    shift 3
    "$@" 2>"$log" &
    pids+=($!)
    for _ in $(seq 500); do
        if grep -q ' ready ' "$log"; then
            printf -v "$var" '%s' "$(sed -n "s/.* ready .*${name}=[@>]\([^ ,]*\).*/\1/p" "$log")"
            return
        fi
        sleep 0.01
    done
    echo "bench_titanic.sh: $* printed no ready line: $(cat "$log")" >&2
    exit 1
}

start broker endpoint "$work/broker.log" "$build/devices/zd-broker" -e '@tcp://127.0.0.1:*'
"$build/tools/zd-worker/zd-worker" -b "$broker" --echo -c 2 echo 2>"$work/worker.log" &
pids+=($!)

echo "# zd-titanic benchmark, $(date -u +%FT%TZ), $(nproc) cores, body $size B, $seconds s per cell"
echo "# journal directory on: $(df -h --output=source,fstype "$work" | tail -n1)"
for clients in $clients_list; do
    "$bench" --broker "$broker" --clients "$clients" --seconds "$seconds" --size "$size" --direct
done
for fsync in $fsync_modes; do
    dir=$work/journal-$fsync
    start control control "$work/titanic-$fsync.log" "$build/devices/zd-titanic" --dir "$dir" \
        --broker "$broker" --control '@tcp://127.0.0.1:*' --fsync "$fsync" ${ZD_TITANIC_ARGS:-}
    titanic_pid=${pids[-1]}
    for clients in $clients_list; do
        echo -n "fsync=$fsync "
        "$bench" --broker "$broker" --clients "$clients" --seconds "$seconds" --size "$size" \
            --drain --control "$control"
    done
    # Group commit at work: requests stored per commit over the whole run.
    if [[ -x $build/tools/zd-ctl/zd-ctl ]]; then
        "$build/tools/zd-ctl/zd-ctl" "$control" stats | FSYNC=$fsync python3 -c '
import json, os, sys
t = json.load(sys.stdin)["titanic"]
records = t["stored"] + t["replies_stored"]
print("# fsync=%s: %d requests and %d replies stored in %d commits (%.1f records per commit)"
      % (os.environ["FSYNC"], t["stored"], t["replies_stored"], t["commits"],
         records / max(1, t["commits"])))'
    fi
    kill "$titanic_pid"
    wait "$titanic_pid" || true
done
echo "# reference: the zguide's Titanic (files, no fsync) about 1.3 k requests/s on this machine"
