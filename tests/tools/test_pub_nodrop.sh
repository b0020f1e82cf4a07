#!/usr/bin/env bash
# zd-send --type pub never drops what a subscriber cannot take yet: it waits for room
# (ZMQ_XPUB_NODROP). Regression: a fast stream of 200 000 lines reached a zd-recv SUB as a
# fifth of itself (libzmq's PUB drops for a subscriber whose queue is full), and zd-send
# exited 0.
#
#   seq 1 200000 | zd-send --type pub ──tcp──> zd-recv --type sub -n 200000 (binds)
#   zd-send --type pub --timeout 1000 ──tcp──> pyzmq SUB that never reads (hwm 10, binds)
#   (50 000 lines of 1000 bytes)
# shellcheck disable=SC2154  # NAME_pid, NAME_endpoint are set by start_tool via printf -v
source "$(dirname "$0")/tools_lib.sh"
source "$(dirname "$0")/tools_more_lib.sh"

total=200000
seq 1 "$total" >"$work/lines"

step "a fast stream of $total messages arrives whole at a slower subscriber"
start_tool sub "$ZD_RECV" --type sub -n "$total" --timeout 10000 @tcp://127.0.0.1:*
run "$work/out" "$work/err" "$ZD_SEND" --type pub "$sub_endpoint" <"$work/lines"
expect_rc 0 "seq 1 $total | zd-send --type pub"
wait_exit_within 30 "$sub_pid" "zd-recv --type sub -n $total"
expect_rc 0 "zd-recv -n $total (exit 1: it timed out with messages missing)"
expect_equal "$(wc -l <"$work/sub.out")" "$total" "messages received"
cmp -s "$work/sub.out" "$work/lines" || fail "the messages arrived changed or out of order"

step "a subscriber that never reads: zd-send waits for room, and --timeout makes it exit 1"
# The subscriber prints its port, then never reads. It still asks for its events now and
# then: a SUB that binds attaches a new connection, and sends it the subscription, only when
# its own thread calls into the socket (libzmq issue #2267).
"$PYTHON" -c '
import time, zmq
context = zmq.Context()
sub = context.socket(zmq.SUB)
sub.setsockopt(zmq.RCVHWM, 10)
sub.setsockopt(zmq.SUBSCRIBE, b"")
print(sub.bind_to_random_port("tcp://127.0.0.1"), flush=True)
for _ in range(1200):
    sub.getsockopt(zmq.EVENTS)
    time.sleep(0.05)
' >"$work/stuck.port" 2>"$work/stuck.log" &
children+=("$!")
deadline=$((SECONDS + 10))
until [[ -s $work/stuck.port ]]; do
    ((SECONDS < deadline)) || fail "the pyzmq subscriber did not start"
    sleep 0.02
done
# 50 MB, more than the kernel's TCP buffers hold for a reader that does not read.
big=50000
yes "$(printf '%01000d' 0)" | head -n "$big" >"$work/big" || true
run "$work/out" "$work/err" "$ZD_SEND" --type pub --hwm 10 --timeout 1000 \
    "tcp://127.0.0.1:$(cat "$work/stuck.port")" <"$work/big"
expect_rc 1 "zd-send --type pub to a subscriber that never reads"
expect_contains "$work/err" "could not send within 1000 ms (--timeout) after" "zd-send's message"
sent=$(sed -n 's/.*after \([0-9]*\) message(s).*/\1/p' "$work/err")
((sent < big)) || fail "zd-send claims to have sent all $big messages to a stuck subscriber"
echo "ok"
