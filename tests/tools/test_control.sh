#!/usr/bin/env bash
# zd-ctl steering a running streamer: pause holds traffic, resume releases it, terminate
# ends the device with exit 0; unknown commands and silent endpoints fail clearly.
#
#   zd-send ──> [zd-streamer] ──> zd-recv
#                    │ control
#                  zd-ctl pause / resume / stats / terminate
# shellcheck disable=SC2154  # NAME_frontend etc. are set by start_device via printf -v
source "$(dirname "$0")/tools_lib.sh"

start_device s "$ZD_STREAMER" -f @tcp://127.0.0.1:* -b @tcp://127.0.0.1:* \
    --control @tcp://127.0.0.1:*

step "pause: the device says paused"
run "$work/out" "$work/err" "$ZD_CTL" "$s_control" pause
expect_rc 0 "zd-ctl pause"
expect_equal "$(cat "$work/out")" "" "zd-ctl pause prints nothing"
run "$work/stats.json" "$work/err" "$ZD_CTL" "$s_control" STATS # case-insensitive
expect_rc 0 "zd-ctl STATS"
expect_equal "$(json_values "$work/stats.json" 'd["state"]')" "paused" "state after pause"

step "pause holds traffic: a receiver sees nothing"
run "$work/out" "$work/err" "$ZD_SEND" "$s_frontend" held
expect_rc 0 "zd-send while paused (the device's socket still takes the message)"
run "$work/out" "$work/err" "$ZD_RECV" -n 1 --timeout 700 "$s_backend"
expect_rc 1 "zd-recv -n 1 --timeout 700 while paused"
expect_equal "$(cat "$work/out")" "" "output while paused"
expect_contains "$work/err" "no message within 700 ms" "zd-recv's timeout message"

step "resume releases it"
"$ZD_RECV" -n 1 --timeout 10000 "$s_backend" >"$work/released" 2>"$work/recv.log" &
receiver=$!
children+=("$receiver")
run "$work/out" "$work/err" "$ZD_CTL" "$s_control" resume
expect_rc 0 "zd-ctl resume"
wait_exit "$receiver" "zd-recv after resume"
expect_rc 0 "zd-recv after resume"
expect_equal "$(cat "$work/released")" "held" "message released by resume"
run "$work/stats.json" "$work/err" "$ZD_CTL" "$s_control" stats
expect_equal "$(json_values "$work/stats.json" 'd["state"]' \
    'd["frontend_to_backend"]["sent_messages"]')" "running 1" "state and count after resume"

step "unknown command: exit 2 naming it"
run "$work/out" "$work/err" "$ZD_CTL" "$s_control" frobnicate
expect_rc 2 "zd-ctl frobnicate"
expect_contains "$work/err" "'frobnicate'" "zd-ctl's usage error"

step "a silent endpoint: exit 1 after --timeout"
run "$work/out" "$work/err" "$ZD_CTL" --timeout 300 tcp://127.0.0.1:1 stats
expect_rc 1 "zd-ctl to a closed port"
expect_contains "$work/err" "no answer from" "zd-ctl's timeout message"
expect_contains "$work/err" "300 ms" "zd-ctl's timeout message"

step "terminate: the device exits 0"
run "$work/out" "$work/err" "$ZD_CTL" "$s_control" terminate
expect_rc 0 "zd-ctl terminate"
wait_exit "$s_pid" "zd-streamer after TERMINATE"
expect_rc 0 "zd-streamer's exit code after TERMINATE"
echo "ok"
