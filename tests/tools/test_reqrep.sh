#!/usr/bin/env bash
# Request-reply through a queue, both ends played by the tools.
#
#   zd-send --type req ──> ROUTER [zd-queue] DEALER ──> zd-recv --type rep [--reply TEXT]
#   (prints each reply before sending the next request)
# shellcheck disable=SC2154  # NAME_frontend etc. are set by start_device via printf -v
source "$(dirname "$0")/tools_lib.sh"

start_device q "$ZD_QUEUE" -f @tcp://127.0.0.1:* -b @tcp://127.0.0.1:*

step "a worker answering a fixed reply"
"$ZD_RECV" --type rep --reply pong -n 3 --timeout 10000 "$q_backend" >"$work/worker" \
    2>"$work/worker.log" &
worker=$!
children+=("$worker")
run "$work/client" "$work/err" "$ZD_SEND" --type req --timeout 10000 "$q_frontend" a b c
expect_rc 0 "zd-send --type req"
expect_equal "$(cat "$work/client")" $'pong\npong\npong' "replies printed by zd-send"
wait_exit "$worker" "zd-recv --type rep -n 3"
expect_rc 0 "zd-recv --type rep -n 3"
expect_equal "$(cat "$work/worker")" $'a\nb\nc' "requests printed by the worker"

step "an echoing worker, multipart requests, replies in json"
"$ZD_RECV" --type rep -n 2 --timeout 10000 "$q_backend" >"$work/worker" \
    2>"$work/worker.log" &
worker=$!
children+=("$worker")
run "$work/client" "$work/err" "$ZD_SEND" --type req -s , --timeout 10000 "$q_frontend" \
    'x,y' 'z'
expect_rc 0 "zd-send --type req -s ,"
expect_equal "$(cat "$work/client")" $'x,y\nz' "echoed replies, frames joined with -s"
wait_exit "$worker" "echoing worker"
expect_rc 0 "echoing zd-recv --type rep -n 2"
expect_equal "$(cat "$work/worker")" $'x | y\nz' "multipart requests seen by the worker"

"$ZD_RECV" --type rep -n 1 --timeout 10000 "$q_backend" >/dev/null 2>"$work/worker.log" &
worker=$!
children+=("$worker")
run "$work/client" "$work/err" "$ZD_SEND" --type req --format json -s '|' --timeout 10000 \
    "$q_frontend" 'key|va"lue'
expect_rc 0 "zd-send --type req --format json"
expect_equal "$(cat "$work/client")" '["key","va\"lue"]' "reply printed as json"
wait_exit "$worker" "worker for the json reply"

step "no worker: zd-send --type req exits 1 after --timeout"
run "$work/client" "$work/err" "$ZD_SEND" --type req --timeout 300 "$q_frontend" unanswered
expect_rc 1 "zd-send --type req without a worker"
expect_contains "$work/err" "no reply within 300 ms" "zd-send's timeout message"
echo "ok"
