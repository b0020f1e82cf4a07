#!/usr/bin/env bash
# zd-recv -n COUNT on PULL takes in no more than it will print, where libzmq lets it: its
# receive high-water mark is COUNT, so a pusher keeps what zd-recv will not print (for its
# other consumers) instead of queueing it into zd-recv, where it would be lost at exit.
# Regression: zd-recv -n 1 swallowed the batch already queued for it (up to 1000 messages).
#
#   pyzmq PUSH (binds, SNDHWM 1, 128 KiB messages) ──tcp──> zd-recv -n 3 ──> a pipe nobody
#                                                                              reads yet
# zd-recv blocks writing its first message; meanwhile the pusher sends all it can without
# blocking. With a receive queue of 1000 all 400 went; bounded to 3, only what TCP's buffers
# hold goes (tens of messages). What TCP holds is lost at exit, which --help says.
# shellcheck disable=SC2154
source "$(dirname "$0")/tools_lib.sh"
source "$(dirname "$0")/tools_more_lib.sh"

step "zd-recv -n 3, blocked on its output, does not take in a pusher's whole stream"
mkfifo "$work/go"
"$PYTHON" -c '
import sys, time, zmq
context = zmq.Context()
push = context.socket(zmq.PUSH)
push.setsockopt(zmq.SNDHWM, 1)
print(push.bind_to_random_port("tcp://127.0.0.1"), flush=True)
open(sys.argv[1]).read()  # until the test says zd-recv is connected
body = b"x" * (128 * 1024)
sent, last_progress = 0, time.monotonic()
while sent < 400 and time.monotonic() - last_progress < 1.5:
    try:
        push.send(body, zmq.NOBLOCK)
        sent += 1
        last_progress = time.monotonic()
    except zmq.Again:
        time.sleep(0.01)
print(sent, flush=True)
time.sleep(30)  # keeps the connection until the test ends
' "$work/go" >"$work/pusher.out" 2>"$work/pusher.log" &
children+=("$!")
deadline=$((SECONDS + 10))
until [[ -s $work/pusher.out ]]; do
    ((SECONDS < deadline)) || fail "the pyzmq pusher did not start"
    sleep 0.02
done
port=$(head -n 1 "$work/pusher.out")

# zd-recv's stdout: a pipe we hold open (read and write end) and do not read until the end.
mkfifo "$work/output"
exec {held}<>"$work/output"
"$ZD_RECV" -n 3 "tcp://127.0.0.1:$port" >"$work/output" 2>"$work/recv.log" &
recv=$!
children+=("$recv")
echo go >"$work/go"
deadline=$((SECONDS + 20))
until [[ $(wc -l <"$work/pusher.out") -ge 2 ]]; do
    ((SECONDS < deadline)) || fail "the pusher did not report how many it sent"
    sleep 0.05
done
sent=$(sed -n 2p "$work/pusher.out")
echo "the pusher handed over $sent of 400 messages"
((sent < 200)) || fail "zd-recv -n 3 took in $sent messages while it could print none"

step "once its output is read, zd-recv prints its 3 messages and exits 0"
head -c $((3 * (128 * 1024 + 1))) <&"$held" >"$work/printed"
wait_exit "$recv" "zd-recv -n 3"
expect_rc 0 "zd-recv -n 3"
expect_equal "$(wc -l <"$work/printed")" "3" "lines printed"
exec {held}<&-

step "--help says what -n cannot hold back"
run "$work/out" "$work/err" "$ZD_RECV" --help
expect_rc 0 "zd-recv --help"
expect_contains "$work/out" "what is already in TCP buffers or queued for it in the" "the warning"
echo "ok"
