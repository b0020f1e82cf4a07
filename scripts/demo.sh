#!/usr/bin/env bash
# Twenty seconds of zdevices at work, on one machine, with the shell tools:
#
#   publisher "weather" --\                          /--> subscriber "weather"
#                          >-- zd-forwarder (hub) --<
#   publisher "sports"  --/                          \--> subscriber "sports"
#
#   client (REQ) --> zd-queue --> worker-1 (REP)
#                             \-> worker-2 (REP)
#
# Then a fabric of two hubs (docs/FEDERATION.md), about ten seconds more:
#
#   zd-call (west) --> zd-broker west <== --peer ==> zd-broker east <-- zd-worker "upper"
#
# Every line of traffic is printed with who saw it; then each device's statistics (zd-ctl)
# and a clean stop. Endpoints are ipc sockets in a temporary directory, so nothing listens
# on the network. Ctrl-C stops everything at any time.
#
# Usage: scripts/demo.sh     (as root, or as a user who may sudo: only a missing package's
#                             install runs as root, through scripts/setup.sh)
# Environment: ZD_BUILD_DIR (default: build-release in the repository, shared with test.sh)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${ZD_BUILD_DIR:-$root/build-release}
"$root/scripts/setup.sh"

# The first build takes a few minutes on two cores: show make's progress lines, one per
# finished step, instead of minutes of silence (and the whole log if it fails).
echo "==> Building the programs the demo runs (Release) in $build"
build_log=$(mktemp /tmp/zd-demo-build.XXXXXX)
set +o pipefail # the build's own status is read from PIPESTATUS below
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >"$build_log" 2>&1 &&
    cmake --build "$build" -j "$(nproc)" \
        --target zd-forwarder zd-queue zd-broker zd-send zd-recv zd-ctl zd-call zd-worker \
        2>&1 | tee -a "$build_log" |
    { grep --line-buffered -E '^\[ *[0-9]+%\] (Building|Linking)' | sed -u 's/^/  /'; true; }
built=${PIPESTATUS[0]}
set -o pipefail
if ((built != 0)); then
    cat "$build_log" >&2
    rm -f "$build_log"
    echo "demo: the build failed (its log is above)" >&2
    exit 1
fi
rm -f "$build_log"
PATH="$build/devices:$build/tools/zd-send:$build/tools/zd-recv:$build/tools/zd-ctl:$PATH"
PATH="$build/tools/zd-call:$build/tools/zd-worker:$PATH"

work=$(mktemp -d /tmp/zd-demo.XXXXXX)
pids=()
cleanup() {
    # Everything still running gets SIGTERM (the tools and devices exit 0 on it) and is
    # waited for, so the demo never leaves processes or sockets behind. A second Ctrl-C
    # must not cut this short, hence INT and TERM are ignored from here on.
    trap '' INT TERM
    trap - EXIT
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'echo; echo "==> Interrupted"; exit 130' INT TERM

# start NAME COMMAND...: runs COMMAND in the background, its stdout labelled "[NAME]", its
# stderr kept in $work/NAME.log (shown if something goes wrong).
start() {
    local name=$1
    shift
    "$@" 2>"$work/$name.log" > >(sed -u "s/^/  [$name] /") &
    pids+=($!)
}

# wait_ready NAME: a device prints "ready ..." on stderr once its sockets are bound.
wait_ready() {
    local name=$1
    for _ in $(seq 200); do
        grep -q ' ready ' "$work/$name.log" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "demo: $name did not start:" >&2
    cat "$work/$name.log" >&2
    exit 1
}

hub_in=ipc://$work/hub-in hub_out=ipc://$work/hub-out hub_ctl=ipc://$work/hub.ctl
queue_in=ipc://$work/queue-in queue_out=ipc://$work/queue-out queue_ctl=ipc://$work/queue.ctl

echo "==> Starting the devices"
start hub zd-forwarder -f "@$hub_in" -b "@$hub_out" --control "@$hub_ctl"
start queue zd-queue -f "@$queue_in" -b "@$queue_out" --control "@$queue_ctl"
wait_ready hub
wait_ready queue
sed 's/^/  /' "$work/hub.log" "$work/queue.log"

echo "==> Traffic for about ten seconds"
start sub-weather zd-recv --subscribe weather "$hub_out"
start sub-sports zd-recv --subscribe sports "$hub_out"
start worker-1 zd-recv --type rep --reply "done by worker-1" "$queue_out"
start worker-2 zd-recv --type rep --reply "done by worker-2" "$queue_out"

# Publishers wait for the first subscription to come up through the hub, then publish
# [topic, text] (two frames, split on '|') twice a second.
start pub-weather zd-send --type pub -s '|' --rate 2 -n 18 "$hub_in" \
    "weather|Paris 21C sunny" "weather|Oslo 3C snow" "weather|Lima 18C fog"
publishers=("${pids[-1]}")
start pub-sports zd-send --type pub -s '|' --rate 2 -n 18 "$hub_in" \
    "sports|goal 1-0" "sports|half time" "sports|goal 1-1"
publishers+=("${pids[-1]}")
# The client sends a job, prints the reply, sends the next: three jobs a second.
mapfile -t jobs < <(seq -f 'job %g' 1 27)
start client zd-send --type req --rate 3 "$queue_in" "${jobs[@]}"
publishers+=("${pids[-1]}")

for pid in "${publishers[@]}"; do
    if ! wait "$pid"; then
        echo "demo: a sender failed:" >&2
        cat "$work"/pub-*.log "$work/client.log" >&2
        exit 1
    fi
done

echo "==> Two hubs: a service on east, called from west (zd-broker --peer)"
west=ipc://$work/west east=ipc://$work/east
west_ctl=ipc://$work/west.ctl east_ctl=ipc://$work/east.ctl
start east zd-broker -e "@$east" --name east --control "@$east_ctl"
wait_ready east
start west zd-broker -e "@$west" --name west --peer ">$east" --control "@$west_ctl"
wait_ready west
start worker-east zd-worker -b "$east" --lines upper -- tr a-z A-Z
# A call waits in west's queue until east's route arrives (milliseconds), then crosses.
for word in "hello from west" "federated brokers" "no lost requests"; do
    printf '  [client-west] %s -> ' "$word"
    zd-call -b "$west" upper "$word"
done
echo "  [west] mmi.service upper: $(zd-call -b "$west" mmi.service upper)"
echo "==> How west reaches it (mmi.services on west)"
zd-call -b "$west" mmi.services "" | python3 -m json.tool | sed 's/^/  /'

for device in hub queue; do
    control=${device}_ctl
    echo "==> Statistics of the $device (zd-ctl ${!control} stats)"
    zd-ctl "${!control}" stats | python3 -m json.tool | sed 's/^/  /'
done
echo "==> The same counters in libzmq's STATISTICS shape (zd-ctl $queue_ctl statistics)"
zd-ctl "$queue_ctl" statistics | sed 's/^/  /'

echo "==> Stopping: TERMINATE to each device, SIGTERM to the receivers"
zd-ctl "$hub_ctl" terminate
zd-ctl "$queue_ctl" terminate
zd-ctl "$west_ctl" terminate
zd-ctl "$east_ctl" terminate
cleanup
echo "==> Done"
