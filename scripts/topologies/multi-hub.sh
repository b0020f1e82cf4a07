#!/usr/bin/env bash
# Multi-hub: three hubs, a, b and c, whose brokers are federated (each names the other two
# with --peer) and whose forwarders form a tree rooted at a (docs/TOPOLOGIES.md, "Multi-hub").
# Ports from --base-port N (default 5500), ten per hub: hub a N+0.., b N+10.., c N+20..
#
#        +-------------------------- --peer ---------------------------+
#        |                                                             |
#   [zd-broker a] <--- --peer ---> [zd-broker b] <--- --peer ---> [zd-broker c]
#        ^                              ^                              ^
#   zd-call "upper", "where"      zd-worker "where"          zd-worker "where", "upper"
#
#   publisher --> [zd-forwarder a] --> [zd-forwarder b] --> subscriber "weather" (on b)
#                   (the root)     \-> [zd-forwarder c] --> subscriber "weather" (on c)
#
#   producer (on b) --> [zd-journal b] --> [zd-link b-to-a] --> [zd-journal a] --> consumer "hub-a"
#                                          (on b: the journal link)               (on a)
#
# A service is usable from every hub: the caller on a reaches "upper", served on c alone,
# and "where", served on b and c: one call at a time goes to the first of the two (both
# equally idle), calls at the same time spread over both (docs/FEDERATION.md has the
# rule). News published at the root reach the subscribers two hops down. It prints every
# endpoint, keeps running until Ctrl-C (or --duration), then stops everything cleanly.
# Records produced on b cross to a through the journal link (docs/JOURNAL.md, "Store-and-
# forward links"): b's journal acknowledges a record to the link only once a's stored it, so
# while a is away records wait in b, and they flow, in order and once each, when it is back.
# Control sockets are ipc files in DIR.
#
# Usage: scripts/topologies/multi-hub.sh [--dir DIR] [--base-port N] [--duration S]
#                                        [--build DIR]
set -euo pipefail
# shellcheck source=scripts/topologies/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

parse_options "$@"
find_programs zd-forwarder zd-broker zd-journal zd-link zd-send zd-recv zd-call zd-worker \
    zd-journal-tool
make_dir
install_traps

hubs=(a b c)
host=127.0.0.1 # each hub could be on a host of its own: only these addresses would change
declare -A broker forwarder_in forwarder_out journal_in journal_out
for i in "${!hubs[@]}"; do
    hub=${hubs[i]}
    broker[$hub]=tcp://$host:$(port $((10 * i + 0)))
    forwarder_in[$hub]=tcp://$host:$(port $((10 * i + 1)))
    forwarder_out[$hub]=tcp://$host:$(port $((10 * i + 2)))
    journal_in[$hub]=tcp://$host:$(port $((10 * i + 3)))
    journal_out[$hub]=tcp://$host:$(port $((10 * i + 4)))
done

echo "==> Multi-hub: three hubs"
for hub in "${hubs[@]}"; do
    peers=()
    for other in "${hubs[@]}"; do
        [[ $other == "$hub" ]] || peers+=(--peer ">${broker[$other]}")
    done
    start "broker-$hub" zd-broker -e "@${broker[$hub]}" --name "hub-$hub" "${peers[@]}" \
        --control "@ipc://$dir/broker-$hub.ctl"
    # The root binds its frontend for publishers; the others subscribe through the root.
    if [[ $hub == a ]]; then
        upstream=@${forwarder_in[a]}
    else
        upstream=">${forwarder_out[a]}"
    fi
    start "forwarder-$hub" zd-forwarder -f "$upstream" -b "@${forwarder_out[$hub]}" \
        --control "@ipc://$dir/forwarder-$hub.ctl"
done
# Journal b takes fire-and-forget producers (PUSH); journal a takes the link's PUBs, which
# it acknowledges (a router frontend, the default).
start journal-a zd-journal --dir "$dir/journal-a" -f "@${journal_in[a]}" \
    -b "@${journal_out[a]}" --control "@ipc://$dir/journal-a.ctl"
start journal-b zd-journal --dir "$dir/journal-b" -f "@${journal_in[b]}" \
    -b "@${journal_out[b]}" --frontend-type pull --control "@ipc://$dir/journal-b.ctl"
for name in broker-{a,b,c} forwarder-{a,b,c} journal-{a,b}; do wait_ready "$name"; done
# The journal link runs on hub b, beside the journal it reads (its consumer name "b-to-a"
# keeps its place in journal b across restarts).
start link-b-a zd-link --from ">${journal_out[b]}" --to ">${journal_in[a]}" --name b-to-a \
    --control "@ipc://$dir/link-b-a.ctl"
wait_ready link-b-a

echo "==> Endpoints"
for hub in "${hubs[@]}"; do
    endpoint "hub $hub: broker (MDP; --name hub-$hub)" "${broker[$hub]}"
    if [[ $hub == a ]]; then
        endpoint "hub a: forwarder, publishers (the root)" "${forwarder_in[a]}"
    else
        endpoint "hub $hub: forwarder, upstream" ">${forwarder_out[a]}"
    fi
    endpoint "hub $hub: forwarder, subscribers" "${forwarder_out[$hub]}"
    case $hub in
    a) endpoint "hub a: journal, producers (PUB, the link)" "${journal_in[a]}" ;;
    b) endpoint "hub b: journal, producers (PUSH)" "${journal_in[b]}" ;;
    esac
    [[ $hub != c ]] && endpoint "hub $hub: journal, consumers" "${journal_out[$hub]}"
    for device in broker forwarder journal; do
        [[ -S $dir/$device-$hub.ctl ]] &&
            endpoint "hub $hub: $device control" "ipc://$dir/$device-$hub.ctl"
    done
done
endpoint "journal link b -> a (zd-link, on b): from" ">${journal_out[b]}"
endpoint "journal link b -> a: to" ">${journal_in[a]}"
endpoint "journal link b -> a: control" "ipc://$dir/link-b-a.ctl"

echo "==> Workers and clients"
start where-b zd-worker -b "${broker[b]}" where -- echo "served on hub b"
start where-c zd-worker -b "${broker[c]}" where -- echo "served on hub c"
start upper-c zd-worker -b "${broker[c]}" upper -- tr a-z A-Z
for name in where-b where-c upper-c; do wait_ready "$name"; done
for hub in b c; do
    start "subscriber-$hub" zd-recv --subscribe weather "${forwarder_out[$hub]}"
done
# The publisher waits for the first subscription to come up the tree, then sends 2 a second.
start publisher zd-send --type pub -s '|' --rate 2 -n 172800 "${forwarder_in[a]}" \
    "weather|Paris 21C" "weather|Oslo 3C"
start producer zd-send --type push --rate 1 -n 86400 "${journal_in[b]}" "order" "invoice"
# Produced on b, consumed on a: every record has crossed the journal link.
start consumer-a zd-journal-tool consume "${journal_out[a]}" --name hub-a

# Calls from hub a: 'upper' lives on hub c only. A call waits in a's queue until c's route
# has arrived (milliseconds after c's worker registered), then crosses.
echo "==> Calls through hub a: zd-call -b ${broker[a]} upper 'hello, fabric'"
zd-call -b "${broker[a]}" --timeout 5000 upper "hello, fabric" | sed 's/^/  [zd-call on a] /'
echo "==> Four calls to 'where' at once through hub a (zd-worker takes 1 at a time: b and c share)"
calls=()
for i in 1 2 3 4; do
    start "call-$i" zd-call -b "${broker[a]}" --timeout 5000 where "?"
    calls+=("${pids[-1]}")
done
for pid in "${calls[@]}"; do wait "$pid"; done
# And a caller on hub a that asks 'where' every second until the end (its replies show how
# a's broker spreads the requests over b and c). $! and $1 belong to that inner bash.
# shellcheck disable=SC2016
start caller-a bash -c 'trap "kill \$! 2>/dev/null; exit 0" TERM
    while zd-call -b "$1" --timeout 2000 where "?"; do sleep 1 & wait $!; done' \
    caller "${broker[a]}"

run_until_stopped
