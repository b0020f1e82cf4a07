#!/usr/bin/env bash
# The tools as commands: --help and --version, usage errors (exit 2 naming the bad value),
# SIGINT/SIGTERM while blocked (exit 0 at once), a closed output pipe (exit 0, quietly),
# and a sender that never reached a peer (exit 1, saying so).
# shellcheck disable=SC2154  # NAME_frontend etc. are set by start_device via printf -v
source "$(dirname "$0")/tools_lib.sh"

step "--help (with examples) and --version exit 0"
for tool in "$ZD_SEND" "$ZD_RECV" "$ZD_CTL"; do
    name=$(basename "$tool")
    run "$work/out" "$work/err" "$tool" --help
    expect_rc 0 "$name --help"
    expect_contains "$work/out" "Examples:" "$name --help"
    expect_contains "$work/out" "Exit codes:" "$name --help"
    run "$work/out" "$work/err" "$tool" --version
    expect_rc 0 "$name --version"
    [[ $(cat "$work/out") =~ ^$name\ [0-9]+\.[0-9]+\.[0-9]+\ \(commit\  ]] || fail "$name --version: $(cat "$work/out")"
done

# usage_error WANTED_TEXT CMD...: CMD must exit 2 and name WANTED_TEXT on stderr.
usage_error() {
    local wanted=$1
    shift
    run "$work/out" "$work/err" "$@"
    expect_rc 2 "$(basename "$1") ${*:2}"
    expect_contains "$work/err" "$wanted" "$(basename "$1") ${*:2}"
}

step "bad arguments exit 2 and name the value"
usage_error "'tcp://nohost'" "$ZD_SEND" tcp://nohost hello
usage_error "'tcp://127.0.0.1:*'" "$ZD_RECV" tcp://127.0.0.1:* # cannot connect to a wildcard
usage_error "'bogus://x'" "$ZD_CTL" bogus://x stats
usage_error "'pull'" "$ZD_SEND" --type pull tcp://127.0.0.1:5555 x
usage_error "'push'" "$ZD_RECV" --type push tcp://127.0.0.1:5555
usage_error "'xml'" "$ZD_RECV" --format xml tcp://127.0.0.1:5555
usage_error "'yaml'" "$ZD_SEND" --format yaml tcp://127.0.0.1:5555 x
usage_error "--subscribe" "$ZD_RECV" --type pull --subscribe a tcp://127.0.0.1:5555
usage_error "--reply" "$ZD_RECV" --reply x tcp://127.0.0.1:5555
usage_error "fast" "$ZD_SEND" --rate fast tcp://127.0.0.1:5555 x
usage_error "--count" "$ZD_SEND" -n 0 tcp://127.0.0.1:5555 x
usage_error "'frobnicate'" "$ZD_CTL" tcp://127.0.0.1:5555 frobnicate
usage_error "endpoint is required" "$ZD_RECV"
usage_error "command is required" "$ZD_CTL" tcp://127.0.0.1:5555

step "SIGINT ends a zd-recv blocked on a silent socket, exit 0"
start_waiting quiet "$ZD_RECV" @tcp://127.0.0.1:*
kill -INT "$quiet_pid" || fail "zd-recv exited before SIGINT"
wait_exit "$quiet_pid" "zd-recv after SIGINT"
expect_rc 0 "zd-recv after SIGINT"

step "SIGTERM ends a zd-send waiting on an idle stdin, exit 0"
mkfifo "$work/idle"
exec {keep_open}<>"$work/idle" # a writer that never writes: stdin stays open and empty
start_waiting idle_stdin --stdin "$work/idle" "$ZD_SEND" @tcp://127.0.0.1:*
kill -TERM "$idle_stdin_pid" || fail "zd-send exited before SIGTERM"
wait_exit "$idle_stdin_pid" "zd-send after SIGTERM"
expect_rc 0 "zd-send after SIGTERM"
exec {keep_open}>&-

step "SIGINT ends a zd-send blocked in send (bound, no peer), exit 0"
start_waiting blocked "$ZD_SEND" @tcp://127.0.0.1:* hello
kill -INT "$blocked_pid" || fail "zd-send exited before SIGINT"
wait_exit "$blocked_pid" "zd-send after SIGINT"
expect_rc 0 "zd-send after SIGINT"

step "zd-recv | head -n 1: the closed pipe ends zd-recv quietly, exit 0"
start_device s "$ZD_STREAMER" -f @tcp://127.0.0.1:* -b @tcp://127.0.0.1:*
run "$work/out" "$work/err" "$ZD_SEND" "$s_frontend" only
expect_rc 0 "zd-send one message"
# Only one message ever comes, so zd-recv must notice that head has gone without writing.
rc=0
statuses=$(
    set +e
    bounded "$ZD_RECV" "$s_backend" 2>"$work/err" | head -n 1 >"$work/head"
    echo "${PIPESTATUS[*]}"
) || rc=$?
expect_equal "$statuses" "0 0" "exit codes of zd-recv and head"
expect_equal "$(cat "$work/head")" "only" "head's line"
expect_equal "$(cat "$work/err")" "" "zd-recv's stderr"

step "a flood into a closed pipe: EPIPE ends zd-recv quietly, exit 0"
"$ZD_SEND" -n 20000 "$s_frontend" flood 2>"$work/flood.log" &
flood=$!
children+=("$flood")
statuses=$(
    set +e
    bounded "$ZD_RECV" "$s_backend" 2>"$work/err" | head -n 3 >"$work/head"
    echo "${PIPESTATUS[*]}"
)
expect_equal "$statuses" "0 0" "exit codes of zd-recv and head in a flood"
expect_equal "$(cat "$work/head")" $'flood\nflood\nflood' "head's lines"
expect_equal "$(cat "$work/err")" "" "zd-recv's stderr in a flood"
kill -TERM "$flood" 2>/dev/null || true

step "zd-send that never reaches a peer exits 1 and says so"
run "$work/out" "$work/err" "$ZD_SEND" --linger 300 tcp://127.0.0.1:1 lost
expect_rc 1 "zd-send to a closed port"
expect_contains "$work/err" "no peer connected" "zd-send's message"
expect_contains "$work/err" "1 message(s) not delivered" "zd-send's message"
echo "ok"
