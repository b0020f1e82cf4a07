#!/usr/bin/env bash
# Shell pipelines through a streamer, and the counts the streamer reports about them.
#
#   seq 1 1000 | zd-send ──> [zd-streamer A] ──> zd-recv -n 1000      (all, in order)
#                               │ control
#                            zd-ctl stats / statistics                 (exact counts)
#
#   zd-send ──> [A] ──> zd-recv | grep even | zd-send ──> [B] ──> zd-recv -n 500
# shellcheck disable=SC2154  # NAME_frontend etc. are set by start_device via printf -v
source "$(dirname "$0")/tools_lib.sh"

start_device a "$ZD_STREAMER" -f @tcp://127.0.0.1:* -b @tcp://127.0.0.1:* \
    --control @tcp://127.0.0.1:*

step "seq 1 1000 | zd-send delivers everything, in order"
"$ZD_RECV" -n 1000 --timeout 10000 "$a_backend" >"$work/received" 2>"$work/recv.log" &
receiver=$!
children+=("$receiver")
rc=0
seq 1 1000 | bounded "$ZD_SEND" "$a_frontend" 2>"$work/err" || rc=$?
expect_rc 0 "zd-send from a pipe"
wait_exit "$receiver" "zd-recv -n 1000"
expect_rc 0 "zd-recv -n 1000"
expect_equal "$(cat "$work/received")" "$(seq 1 1000)" "messages received by zd-recv"

step "zd-ctl stats shows exact counts"
run "$work/stats.json" "$work/err" "$ZD_CTL" "$a_control" stats
expect_rc 0 "zd-ctl stats"
bytes=$(seq 1 1000 | tr -d '\n' | wc -c) # 2893: the payload without newlines
f='d["frontend_to_backend"]'
expect_equal "$(json_values "$work/stats.json" 'd["device"]' 'd["state"]' \
    "${f}['received_messages']" "${f}['sent_messages']" "${f}['received_bytes']" \
    "${f}['sent_bytes']" "${f}['dropped_messages']")" \
    "zd-streamer running 1000 1000 $bytes $bytes 0" \
    "stats: device, state, frontend_to_backend received/sent messages and bytes, dropped"

step "zd-ctl statistics names libzmq's eight counters"
run "$work/statistics" "$work/err" "$ZD_CTL" "$a_control" statistics
expect_rc 0 "zd-ctl statistics"
expect_equal "$(awk '{print $1 "=" $2}' "$work/statistics" | tr '\n' ' ')" \
    "frontend_messages_in=1000 frontend_bytes_in=$bytes frontend_messages_out=0 frontend_bytes_out=0 backend_messages_in=0 backend_bytes_in=0 backend_messages_out=1000 backend_bytes_out=$bytes " \
    "statistics"

step "zd-recv | grep | zd-send: a filter between two streamers"
start_device b "$ZD_STREAMER" -f @tcp://127.0.0.1:* -b @tcp://127.0.0.1:*
"$ZD_RECV" -n 500 --timeout 10000 "$b_backend" >"$work/evens" 2>"$work/recv-b.log" &
final=$!
children+=("$final")
# Named pipes instead of '|', so that every stage has a pid we can wait for and clean up.
mkfifo "$work/recv-to-grep" "$work/grep-to-send"
"$ZD_RECV" "$a_backend" >"$work/recv-to-grep" 2>"$work/filter-recv.log" &
head_of_filter=$!
grep --line-buffered '[02468]$' <"$work/recv-to-grep" >"$work/grep-to-send" &
grep_stage=$!
"$ZD_SEND" "$b_frontend" <"$work/grep-to-send" 2>"$work/filter-send.log" &
tail_of_filter=$!
children+=("$head_of_filter" "$grep_stage" "$tail_of_filter")
rc=0
seq 1 1000 | bounded "$ZD_SEND" "$a_frontend" 2>"$work/err" || rc=$?
expect_rc 0 "zd-send into the filter"
wait_exit "$final" "zd-recv at the end of the filter"
expect_rc 0 "zd-recv -n 500 behind the filter"
expect_equal "$(cat "$work/evens")" "$(seq 2 2 1000)" "even numbers through the filter"

step "stopping the head of a pipeline drains it: every stage exits 0"
kill -TERM "$head_of_filter"
wait_exit "$head_of_filter" "zd-recv at the head of the filter"
expect_rc 0 "zd-recv after SIGTERM"
wait_exit "$grep_stage" "grep"
wait_exit "$tail_of_filter" "zd-send at the tail of the filter"
expect_rc 0 "zd-send after its stdin ended"
echo "ok"
