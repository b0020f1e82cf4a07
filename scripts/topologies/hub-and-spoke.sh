#!/usr/bin/env bash
# Hub and spoke: one hub with the four kinds of device, every program around it a spoke
# (docs/TOPOLOGIES.md, "Hub and spoke"). Ports from --base-port N (default 5500):
#
#   publisher --> N+0 [zd-forwarder] N+1 --> subscriber "weather"
#   client    --> N+2 [zd-queue]     N+3 --> worker-1, worker-2 (REP)
#   zd-call   --> N+4 [zd-broker]    N+4 <-- zd-worker "upper" x2
#   producer  --> N+5 [zd-journal]   N+6 --> consumer "spoke" (ACKs; resumes where it left)
#                      DIR/journal
#
# It prints every endpoint, makes one call through the broker to show the hub answers,
# then keeps the traffic going until Ctrl-C (or --duration), and stops everything cleanly.
# Control sockets (zd-ctl) are ipc files in DIR.
#
# Usage: scripts/topologies/hub-and-spoke.sh [--dir DIR] [--base-port N] [--duration S]
#                                            [--build DIR]
set -euo pipefail
# shellcheck source=scripts/topologies/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

parse_options "$@"
find_programs zd-forwarder zd-queue zd-broker zd-journal zd-send zd-recv zd-call zd-worker \
    zd-journal-tool
make_dir
install_traps

hub=127.0.0.1
forwarder_in=tcp://$hub:$(port 0) forwarder_out=tcp://$hub:$(port 1)
queue_in=tcp://$hub:$(port 2) queue_out=tcp://$hub:$(port 3)
broker=tcp://$hub:$(port 4)
journal_in=tcp://$hub:$(port 5) journal_out=tcp://$hub:$(port 6)

echo "==> Hub and spoke: the hub's devices"
start forwarder zd-forwarder -f "@$forwarder_in" -b "@$forwarder_out" \
    --control "@ipc://$dir/forwarder.ctl"
start queue zd-queue -f "@$queue_in" -b "@$queue_out" --control "@ipc://$dir/queue.ctl"
start broker zd-broker -e "@$broker" --control "@ipc://$dir/broker.ctl"
start journal zd-journal --dir "$dir/journal" -f "@$journal_in" -b "@$journal_out" \
    --frontend-type pull --control "@ipc://$dir/journal.ctl"
for device in forwarder queue broker journal; do wait_ready "$device"; done

echo "==> Endpoints"
endpoint "forwarder: publishers connect to" "$forwarder_in"
endpoint "forwarder: subscribers connect to" "$forwarder_out"
endpoint "queue: clients (REQ) connect to" "$queue_in"
endpoint "queue: workers (REP) connect to" "$queue_out"
endpoint "broker: clients and workers (MDP)" "$broker"
endpoint "journal: producers (PUSH) connect to" "$journal_in"
endpoint "journal: consumers (journal protocol)" "$journal_out"
for device in forwarder queue broker journal; do
    endpoint "$device: control (zd-ctl)" "ipc://$dir/$device.ctl"
done
endpoint "journal: directory" "$dir/journal"

echo "==> Spokes"
start worker-1 zd-recv --type rep --reply "done by worker-1" "$queue_out"
start worker-2 zd-recv --type rep --reply "done by worker-2" "$queue_out"
start upper-1 zd-worker -b "$broker" upper -- tr a-z A-Z
start upper-2 zd-worker -b "$broker" upper -- tr a-z A-Z
wait_ready upper-1
wait_ready upper-2
start subscriber zd-recv --subscribe weather "$forwarder_out"
start consumer zd-journal-tool consume "$journal_out" --name spoke
# The senders run until stopped: 2 messages a second each, for as long as a day.
start publisher zd-send --type pub -s '|' --rate 2 -n 172800 "$forwarder_in" \
    "weather|Paris 21C" "weather|Oslo 3C" "traffic|A6 jammed"
start client zd-send --type req --rate 2 -n 172800 "$queue_in" "job"
start producer zd-send --type push --rate 2 -n 172800 "$journal_in" "order" "invoice"

echo "==> One call through the broker: zd-call -b $broker upper 'hello, hub'"
zd-call -b "$broker" --timeout 5000 upper "hello, hub" | sed 's/^/  [zd-call] /'

run_until_stopped
