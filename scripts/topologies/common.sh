# shellcheck shell=bash
# What the topology scripts share (sourced, not run): their options, finding the programs,
# starting each program in the background with its output labelled, waiting for a device's
# ready line, printing endpoints, and stopping everything cleanly.
#
# Options every topology script takes:
#   --dir DIR         ipc sockets, journal directories and logs go here (default: a temporary
#                     directory, removed at the end; a DIR given is kept)
#   --base-port N     tcp ports N, N+1, ... on 127.0.0.1 (default 5500)
#   --duration S      stop by itself after S seconds (default: run until Ctrl-C)
#   --build DIR       where the programs were built (default: $ZD_BUILD_DIR, else the
#                     repository's build-release, else build; else the zd-* on PATH)
#   -h, --help        this help
# Every device and tool exits 0 on SIGTERM; the script stops with exit 0 after Ctrl-C (or
# SIGTERM, or --duration), having stopped and waited for every process it started.

topology_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir="" base_port=5500 duration="" build=""
pids=()     # every program started, stopped in cleanup
labellers=() # the sed processes that label their output, waited for after them
keep_dir=0

usage() { # the script's header, then the options above
    sed -n '2,/^set -/p' "$0" | sed -n 's/^# \{0,1\}//p'
    echo
    sed -n '/^# Options every/,/^# SIGTERM/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

parse_options() {
    while (($#)); do
        case $1 in
        --dir) dir=${2:?--dir needs a directory}; keep_dir=1; shift 2 ;;
        --base-port) base_port=${2:?--base-port needs a number}; shift 2 ;;
        --duration) duration=${2:?--duration needs seconds}; shift 2 ;;
        --build) build=${2:?--build needs a directory}; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "$(basename "$0"): unknown option '$1' (see --help)" >&2; exit 2 ;;
        esac
    done
    if ! [[ $base_port =~ ^[0-9]+$ ]] || ((base_port < 1024 || base_port > 65000)); then
        echo "$(basename "$0"): --base-port must be a number from 1024 to 65000" >&2
        exit 2
    fi
    if [[ -n $duration && ! $duration =~ ^[0-9]+([.][0-9]+)?$ ]]; then
        echo "$(basename "$0"): --duration must be a number of seconds" >&2
        exit 2
    fi
}

# find_programs NAME...: puts the build's program folders first on PATH (as scripts/demo.sh
# does) and checks that every NAME can be run.
find_programs() {
    local candidate
    if [[ -z $build ]]; then
        for candidate in "${ZD_BUILD_DIR:-}" "$topology_root/build-release" \
            "$topology_root/build"; do
            if [[ -n $candidate && -x $candidate/devices/zd-broker ]]; then
                build=$candidate
                break
            fi
        done
    fi
    if [[ -n $build ]]; then
        local tool_dirs=""
        for candidate in "$build"/tools/*/; do tool_dirs+="${candidate%/}:"; done
        PATH="$build/devices:$tool_dirs$PATH"
    fi
    local missing=()
    for candidate in "$@"; do
        command -v "$candidate" >/dev/null || missing+=("$candidate")
    done
    if ((${#missing[@]})); then
        echo "$(basename "$0"): cannot find ${missing[*]}: build them first (cmake -S ." \
            "-B build-release -DCMAKE_BUILD_TYPE=Release && cmake --build build-release)," \
            "or pass --build DIR" >&2
        exit 1
    fi
}

make_dir() {
    if [[ -z $dir ]]; then
        dir=$(mktemp -d "/tmp/zd-$(basename "$0" .sh).XXXXXX")
    else
        mkdir -p "$dir"
        dir=$(cd "$dir" && pwd)
    fi
    mkdir -p "$dir/logs"
}

# port K: the K-th port of the block (base_port + K).
port() { echo $((base_port + $1)); }

cleanup() {
    # Everything still running gets SIGTERM and is waited for, so nothing is left behind; a
    # second Ctrl-C must not cut this short, hence INT and TERM are ignored from here on.
    # The last started stops first: spokes before the hub devices they talk to, so that a
    # consumer's last acknowledgement or a worker's goodbye still finds its device.
    trap '' INT TERM
    trap - EXIT
    local i pid
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill -TERM "${pids[i]}" 2>/dev/null || true
        wait "${pids[i]}" 2>/dev/null || true
    done
    # A program started just as the signal came is running but may not be in pids yet (the
    # trap can run between its '&' and 'pids+=($!)'): stop every child left as well.
    local rest
    rest=$(jobs -p)
    # shellcheck disable=SC2086 # one pid per word
    if [[ -n $rest ]]; then
        kill -TERM $rest 2>/dev/null || true
        wait $rest 2>/dev/null || true
    fi
    for pid in "${labellers[@]}"; do wait "$pid" 2>/dev/null || true; done
    if ((keep_dir)); then
        echo "==> Stopped; logs and journals kept in $dir"
    else
        rm -rf "$dir"
        echo "==> Stopped"
    fi
}

# install_traps: cleanup on every way out; Ctrl-C and SIGTERM are the normal way to stop.
install_traps() {
    trap cleanup EXIT
    trap 'echo; echo "==> Stopping"; exit 0' INT TERM
}

# start NAME COMMAND...: runs COMMAND in the background; its stdout is printed labelled
# "[NAME]", its stderr kept in DIR/logs/NAME.log.
start() {
    local name=$1 fd
    shift
    exec {fd}> >(sed -u "s/^/  [$name] /")
    labellers+=($!)
    "$@" 2>"$dir/logs/$name.log" 1>&"$fd" &
    pids+=($!)
    exec {fd}>&-
}

# wait_ready NAME: a device prints "ready ..." on stderr once its sockets are bound, a
# zd-worker "serving ...". Gives up after 10 s, showing what it printed.
wait_ready() {
    local name=$1
    for _ in $(seq 200); do
        grep -qE ': (ready|serving) ' "$dir/logs/$name.log" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "$(basename "$0"): $name did not start:" >&2
    cat "$dir/logs/$name.log" >&2
    exit 1
}

# endpoint WHAT ADDRESS: one line of the endpoint table.
endpoint() { printf '  %-42s %s\n' "$1" "$2"; }

# run_until_stopped: waits for Ctrl-C, SIGTERM or the end of --duration.
run_until_stopped() {
    if [[ -n $duration ]]; then
        sleep "$duration" &
        pids+=($!)
        echo "==> Running for $duration s (Ctrl-C stops it sooner)"
    else
        sleep infinity &
        pids+=($!)
        echo "==> Running; Ctrl-C stops it"
    fi
    wait "${pids[-1]}" || true
}
