# shellcheck shell=bash
# Helpers of the newer tool tests (test_pub_nodrop.sh, test_recv_count.sh, test_call_worker.sh),
# sourced after tools_lib.sh.

# start_tool NAME [--stdin FILE] CMD...: like start_waiting (waits for the ready line, sets
# NAME_pid; stdout to $work/NAME.out, the rest of stderr to $work/NAME.log), and also sets
# NAME_endpoint to the first endpoint of the ready line, '@' or '>' removed, so a tool that
# binds tcp://127.0.0.1:* can be connected to (empty for zd-worker, which only connects).
start_tool() {
    local name=$1 input=/dev/null
    shift
    if [[ $1 == --stdin ]]; then
        input=$2
        shift 2
    fi
    mkfifo "$work/$name.fifo"
    "$@" <"$input" >"$work/$name.out" 2>"$work/$name.fifo" &
    local pid=$!
    children+=("$pid")
    local fd line=""
    exec {fd}<"$work/$name.fifo"
    IFS= read -r -t 10 -u "$fd" line || true
    cat <&"$fd" >"$work/$name.log" &
    children+=("$!")
    exec {fd}<&-
    # zd-worker's ready line is "serving 'SERVICE' with N workers via ENDPOINTS".
    [[ $line == *": ready "* || $line == *": serving "* ]] ||
        fail "$name did not print its ready line: '$line'"
    printf -v "${name}_pid" '%s' "$pid"
    printf -v "${name}_endpoint" '%s' "$(sed -n 's/.* [a-z]*=[@>]\([^ ,]*\).*/\1/p' <<<"$line")"
}

# wait_exit_within SECONDS PID WHAT: like wait_exit, with a longer or shorter bound.
wait_exit_within() {
    local limit=$1 pid=$2 deadline=$((SECONDS + $1))
    while kill -0 "$pid" 2>/dev/null; do
        ((SECONDS < deadline)) || fail "$3 did not exit within $limit s"
        sleep 0.02
    done
    rc=0
    wait "$pid" || rc=$?
}
