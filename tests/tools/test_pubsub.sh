#!/usr/bin/env bash
# Publishing through a forwarder: zd-send --type pub waits for a subscriber instead of
# publishing into the void, and zd-recv --subscribe gets only its topics.
#
#   zd-send --type pub ──> XSUB [zd-forwarder] XPUB ──> zd-recv --subscribe weather
#                                   │ control               zd-recv --subscribe a --subscribe b
#                                 zd-ctl stats (subscriptions seen travelling upstream)
# shellcheck disable=SC2154  # NAME_frontend etc. are set by start_device via printf -v
source "$(dirname "$0")/tools_lib.sh"

start_device f "$ZD_FORWARDER" -f @tcp://127.0.0.1:* -b @tcp://127.0.0.1:* \
    --control @tcp://127.0.0.1:*

step "no subscriber: zd-send --type pub gives up after --wait-subscriber, exit 1"
run "$work/out" "$work/err" "$ZD_SEND" --type pub --wait-subscriber 300 "$f_frontend" lost
expect_rc 1 "zd-send --type pub without subscribers"
expect_contains "$work/err" "no subscriber within 300 ms" "zd-send's message"

step "one topic: only matching messages arrive, none lost to the slow joiner"
"$ZD_RECV" --subscribe weather -n 3 --timeout 10000 "$f_backend" >"$work/weather" \
    2>"$work/recv-weather.log" &
weather=$!
children+=("$weather")
# Sent right away: zd-send itself waits until the subscription has reached it.
run "$work/out" "$work/err" "$ZD_SEND" --type pub -s ' ' "$f_frontend" \
    "news x" "weather 1" "sports y" "weather 2" "weatherman 3"
expect_rc 0 "zd-send --type pub"
wait_exit "$weather" "zd-recv --subscribe weather"
expect_rc 0 "zd-recv --subscribe weather -n 3"
expect_equal "$(cat "$work/weather")" $'weather | 1\nweather | 2\nweatherman | 3' \
    "messages for prefix 'weather' (frames shown with ' | ')"

# wait_subscriptions N: waits (at most 10 s) until the forwarder has passed N subscription
# messages upstream.
wait_subscriptions() {
    local deadline=$((SECONDS + 10)) seen
    while :; do
        run "$work/stats.json" "$work/err" "$ZD_CTL" "$f_control" stats
        expect_rc 0 "zd-ctl stats"
        seen=$(json_values "$work/stats.json" 'd["backend_to_frontend"]["received_messages"]')
        ((seen == $1)) && return
        ((seen < $1 && SECONDS < deadline)) || fail "forwarder passed $seen subscription messages, expected $1"
        sleep 0.05
    done
}

step "two topics on one subscriber"
wait_subscriptions 2 # the first subscriber's subscribe and, after it left, unsubscribe
"$ZD_RECV" --subscribe alerts --subscribe metrics -n 2 --timeout 10000 "$f_backend" \
    >"$work/two" 2>"$work/recv-two.log" &
two=$!
children+=("$two")
# Two subscriptions reach zd-send together only if the forwarder already holds both when
# zd-send connects. The forwarder counts subscription messages (backend_to_frontend): the
# first subscriber's subscribe and unsubscribe make 2, these two subscriptions make 4.
wait_subscriptions 4
run "$work/out" "$work/err" "$ZD_SEND" --type pub "$f_frontend" \
    "weather 4" "alerts: fire" "sports z" "metrics cpu=3"
expect_rc 0 "zd-send --type pub to two topics"
wait_exit "$two" "zd-recv with two subscriptions"
expect_rc 0 "zd-recv --subscribe alerts --subscribe metrics -n 2"
expect_equal "$(cat "$work/two")" $'alerts: fire\nmetrics cpu=3' "messages for two prefixes"

step "--type sub without --subscribe gets everything"
# Once the last subscriber's unsubscriptions have passed (6), no stale subscription can make
# zd-send start before the new one has arrived.
wait_subscriptions 6
"$ZD_RECV" --type sub -n 2 --timeout 10000 "$f_backend" >"$work/all" 2>"$work/recv-all.log" &
all=$!
children+=("$all")
run "$work/out" "$work/err" "$ZD_SEND" --type pub "$f_frontend" one two
expect_rc 0 "zd-send --type pub to a catch-all subscriber"
wait_exit "$all" "zd-recv --type sub"
expect_rc 0 "zd-recv --type sub -n 2"
expect_equal "$(cat "$work/all")" $'one\ntwo' "messages for the empty prefix"
echo "ok"
