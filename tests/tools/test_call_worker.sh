#!/usr/bin/env bash
# zd-call and zd-worker in an operator's hands: the defaults do not run slow work twice, the
# exit code says what happened, and zd-worker refuses what can never work.
#
#   zd-call ──> zd-broker <── zd-worker -- COMMAND         (exit codes 0, 3, 4, 2)
#   zd-call ──> zd-broker <── zd-titanic                    (Titanic 400: exit 4)
#   zd-worker ──> pyzmq ROUTER / zd-queue's frontend        (not a broker: exit 1)
#
# Called like the other tools-shell scripts; zd-call, zd-worker, zd-broker and zd-titanic
# come in $ZD_CALL, $ZD_WORKER, $ZD_BROKER, $ZD_TITANIC.
# shellcheck disable=SC2154  # NAME_pid, NAME_endpoint are set by start_tool via printf -v
source "$(dirname "$0")/tools_lib.sh"
source "$(dirname "$0")/tools_more_lib.sh"

# wait_for_service NAME: until the broker has a worker for NAME (mmi.service says 200).
wait_for_service() {
    local deadline=$((SECONDS + 10))
    until "$ZD_CALL" -q -b "$broker_endpoint" --timeout 500 mmi.service "$1" >/dev/null; do
        ((SECONDS < deadline)) || fail "no worker for '$1' registered within 10 s"
        sleep 0.05
    done
}

start_tool broker "$ZD_BROKER" -e @tcp://127.0.0.1:*

step "a 3 s command runs once with zd-call's defaults, and its reply arrives (exit 0)"
start_tool slow "$ZD_WORKER" -b "$broker_endpoint" slow -- \
    /bin/sh -c 'echo run >>"$0"; sleep 3; cat' "$work/runs"
wait_for_service slow
run "$work/out" "$work/err" timeout 20 "$ZD_CALL" -b "$broker_endpoint" slow hello
expect_rc 0 "zd-call slow hello, with the defaults"
expect_equal "$(cat "$work/out")" "hello" "the reply"
expect_equal "$(wc -l <"$work/runs")" "1" "times the command ran"

step "exit 0: a reply"
start_tool echo "$ZD_WORKER" -b "$broker_endpoint" --echo echo
wait_for_service echo
run "$work/out" "$work/err" "$ZD_CALL" -b "$broker_endpoint" echo hi
expect_rc 0 "zd-call echo hi"
expect_equal "$(cat "$work/out")" "hi" "the echo"

step "exit 3: no reply in time, and zd-call says why"
run "$work/out" "$work/err" "$ZD_CALL" -b "$broker_endpoint" --timeout 300 nobody x
expect_rc 3 "zd-call to a service without workers"
expect_contains "$work/err" "no worker for service 'nobody'" "the diagnosis"
run "$work/out" "$work/err" "$ZD_CALL" -b "$broker_endpoint" --timeout 300 slow x
expect_rc 3 "zd-call to a service whose worker is too slow"
expect_contains "$work/err" "service 'slow' has workers" "the diagnosis"
# A port nothing listens on: bind a port, note it, let it go.
free_port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run "$work/out" "$work/err" "$ZD_CALL" -b "tcp://127.0.0.1:$free_port" --timeout 300 echo x
expect_rc 3 "zd-call without a broker"
expect_contains "$work/err" "no broker answered at" "the diagnosis"

step "exit 4: the reply reports a failure"
start_tool failing "$ZD_WORKER" -b "$broker_endpoint" failing -- \
    /bin/sh -c 'echo partial output; exit 3'
wait_for_service failing
run "$work/out" "$work/err" "$ZD_CALL" -b "$broker_endpoint" failing x
expect_rc 4 "zd-call to a command that exits 3"
expect_equal "$(cat "$work/out")" $'ERROR /bin/sh: exit status 3\npartial output' "the reply"
expect_contains "$work/err" "service 'failing' failed" "zd-call's message"
start_tool timing_out "$ZD_WORKER" -b "$broker_endpoint" --command-timeout 100 timing_out -- \
    sleep 10
wait_for_service timing_out
run "$work/out" "$work/err" "$ZD_CALL" -b "$broker_endpoint" timing_out x
expect_rc 4 "zd-call to a command that times out"
expect_contains "$work/out" "ERROR sleep: timed out" "the reply"
run "$work/out" "$work/err" "$ZD_CALL" -b "$broker_endpoint" mmi.service nope
expect_rc 4 "zd-call mmi.service for an unknown service"
expect_equal "$(cat "$work/out")" "404" "the mmi answer"
start_tool titanic "$ZD_TITANIC" -d "$work/titanic" -b "$broker_endpoint"
wait_for_service titanic.reply
run "$work/out" "$work/err" "$ZD_CALL" -b "$broker_endpoint" titanic.reply not-a-uuid
expect_rc 4 "zd-call titanic.reply not-a-uuid"
expect_equal "$(cat "$work/out")" "400" "Titanic's answer"

step "exit 2: usage"
run "$work/out" "$work/err" "$ZD_CALL" -b "$broker_endpoint" --timeout soon echo x
expect_rc 2 "zd-call --timeout soon"

step "zd-worker refuses a command that cannot be executed: exit 1 at start"
run "$work/out" "$work/err" "$ZD_WORKER" -b "$broker_endpoint" svc -- no-such-command-zd
expect_rc 1 "zd-worker -- no-such-command-zd"
expect_contains "$work/err" "cannot run the command: 'no-such-command-zd'" "zd-worker's message"
printf 'echo hi\n' >"$work/not-executable"
run "$work/out" "$work/err" "$ZD_WORKER" -b "$broker_endpoint" svc -- "$work/not-executable"
expect_rc 1 "zd-worker -- a file without x permission"
expect_contains "$work/err" "Permission denied" "zd-worker's message"

step "zd-worker pointed at something that is not a broker exits 1 within a few heartbeats"
"$PYTHON" -c '
import time, zmq
router = zmq.Context().socket(zmq.ROUTER)
print(router.bind_to_random_port("tcp://127.0.0.1"), flush=True)
time.sleep(30)
' >"$work/router.port" 2>"$work/router.log" &
children+=("$!")
deadline=$((SECONDS + 10))
until [[ -s $work/router.port ]]; do
    ((SECONDS < deadline)) || fail "the pyzmq ROUTER did not start"
    sleep 0.02
done
run "$work/out" "$work/err" "$ZD_WORKER" -b "tcp://127.0.0.1:$(cat "$work/router.port")" \
    --heartbeat-interval 200 --echo svc
expect_rc 1 "zd-worker against a plain ROUTER"
expect_contains "$work/err" "is not a Majordomo broker" "zd-worker's message"
start_device queue "$ZD_QUEUE" -f @tcp://127.0.0.1:* -b @tcp://127.0.0.1:*
run "$work/out" "$work/err" "$ZD_WORKER" -b "$queue_frontend" --heartbeat-interval 200 --echo svc
expect_rc 1 "zd-worker against zd-queue's frontend"
expect_contains "$work/err" "is not a Majordomo broker" "zd-worker's message"

step "zd-worker with nothing listening yet keeps retrying (a broker may start later)"
start_tool early "$ZD_WORKER" -b "tcp://127.0.0.1:$free_port" --heartbeat-interval 100 \
    --reconnect-delay 100 --echo svc
sleep 1 # several heartbeat periods: the worker must still be there (nothing to wait on)
kill -0 "$early_pid" 2>/dev/null || fail "zd-worker gave up while nothing listened"
echo "ok"
