# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source this
# Shared by the shell-level tests of zd-send, zd-recv and zd-ctl (sourced, not run).
#
# Each test script is called by CTest as
#   test_x.sh ZD_SEND ZD_RECV ZD_CTL ZD_STREAMER ZD_FORWARDER ZD_QUEUE
# and gets: a private temporary directory ($work), devices started and waited for on their
# ready line (start_device), every child process cleaned up on any exit (trap), a time bound
# on every command that could hang (bounded), and checks that say what was expected.
set -euo pipefail

if [[ $# -lt 6 ]]; then
    echo "usage: $0 ZD_SEND ZD_RECV ZD_CTL ZD_STREAMER ZD_FORWARDER ZD_QUEUE" >&2
    exit 2
fi
ZD_SEND=$1 ZD_RECV=$2 ZD_CTL=$3 ZD_STREAMER=$4 ZD_FORWARDER=$5 ZD_QUEUE=$6
PYTHON=${ZD_PYTHON:-/usr/bin/python3}

work=$(mktemp -d "${TMPDIR:-/tmp}/zd-tools-test.XXXXXX")
children=() # every background process we started, ended by cleanup

cleanup() {
    local status=$?
    for pid in "${children[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${children[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ $status -ne 0 ]]; then
        for log in "$work"/*.log; do
            [[ -s $log ]] && { echo "--- $(basename "$log")"; cat "$log"; } >&2
        done
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

step() {
    echo "== $*"
}

# Runs a command that must finish on its own within 15 s (SIGTERM, then SIGKILL 2 s later).
bounded() {
    timeout -k 2 15 "$@"
}

# run OUT ERR CMD...: runs CMD (bounded), stdout to OUT, stderr to ERR, exit code in $rc.
run() {
    local out=$1 err=$2
    shift 2
    rc=0
    bounded "$@" >"$out" 2>"$err" || rc=$?
}

expect_rc() { # expect_rc WANTED WHAT
    [[ $rc -eq $1 ]] || fail "$2: exit code $rc, expected $1$(stderr_note)"
}

stderr_note() {
    [[ -s $work/err ]] && printf '\n  stderr: %s' "$(head -c 600 "$work/err")"
    true
}

expect_equal() { # expect_equal ACTUAL EXPECTED WHAT
    [[ $1 == "$2" ]] || fail "$3:$(printf '\n  got:      %q\n  expected: %q' "$1" "$2")"
}

expect_contains() { # expect_contains FILE TEXT WHAT
    grep -qF -- "$2" "$1" || fail "$3: '$2' not in $(basename "$1"):$(printf '\n  %s' "$(head -c 600 "$1")")"
}

# start_device NAME EXECUTABLE ARGS...: starts a device, waits for its ready line (an event,
# not a sleep) and sets NAME_pid, NAME_frontend, NAME_backend and NAME_control (connectable
# endpoints, '@' removed). Its stderr keeps being drained into $work/NAME.log.
start_device() {
    local name=$1
    shift
    mkfifo "$work/$name.fifo"
    "$@" 2>"$work/$name.fifo" &
    local pid=$!
    children+=("$pid")
    local fd line=""
    exec {fd}<"$work/$name.fifo"
    IFS= read -r -t 10 -u "$fd" line || true
    cat <&"$fd" >"$work/$name.log" &
    children+=("$!")
    exec {fd}<&-
    [[ $line == *": ready "* ]] || fail "$name did not announce ready: '$line'"
    printf -v "${name}_pid" '%s' "$pid"
    local key value
    for key in frontend backend control; do
        value=$(sed -n "s/.* $key=@\([^ ,]*\).*/\1/p" <<<"$line")
        printf -v "${name}_$key" '%s' "$value"
    done
}

# start_waiting NAME [--stdin FILE] CMD...: starts a tool with -v in the background and
# waits until it logs its ready line, i.e. its socket is attached and its signal handling is
# in place. Sets NAME_pid; stdout goes to $work/NAME.out, the rest of stderr to
# $work/NAME.log; stdin is FILE (bash gives background commands /dev/null otherwise).
start_waiting() {
    local name=$1 input=/dev/null
    shift
    if [[ $1 == --stdin ]]; then
        input=$2
        shift 2
    fi
    mkfifo "$work/$name.fifo"
    "$@" -v <"$input" >"$work/$name.out" 2>"$work/$name.fifo" &
    local pid=$!
    children+=("$pid")
    local fd line=""
    exec {fd}<"$work/$name.fifo"
    IFS= read -r -t 10 -u "$fd" line || true
    cat <&"$fd" >"$work/$name.log" &
    children+=("$!")
    exec {fd}<&-
    [[ $line == *": ready "* ]] || fail "$name did not log its ready line: '$line'"
    printf -v "${name}_pid" '%s' "$pid"
}

# wait_exit PID WHAT: waits (at most 10 s) for a background process and sets $rc.
wait_exit() {
    local pid=$1 deadline=$((SECONDS + 10))
    while kill -0 "$pid" 2>/dev/null; do
        ((SECONDS < deadline)) || fail "$2 did not exit within 10 s"
        sleep 0.02
    done
    rc=0
    wait "$pid" || rc=$?
}

# json_values FILE EXPRESSION...: evaluates Python expressions on the JSON object d read from
# FILE and prints the results space-separated (one interpreter for all of them).
json_values() {
    "$PYTHON" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(str(eval(e)) for e in sys.argv[2:]))' "$@"
}
