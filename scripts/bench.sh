#!/usr/bin/env bash
# Benchmarks the zd devices against direct and zmq_proxy baselines measured in the same run,
# and writes docs/BENCHMARKS.md: the machine, the command, zd-bench's table (medians of
# three) and its reading of the ratios against the project's goals.
#
# Builds (or reuses) the Release tree that scripts/test.sh uses. Every pattern, size and
# transport runs three times; then the Majordomo broker (zd-broker) runs beside the same
# work done directly and through zmq_proxy, and its memory is watched across a million
# requests and 100 k unknown service names. A full run takes about 10 minutes on 2 cores.
# Run it on an otherwise idle machine: every process shares the cores with whatever else
# is running.
#
# Usage: scripts/bench.sh [zd-bench options...]     e.g. scripts/bench.sh -p streamer
#        (the options apply to the devices' run, not to the broker's)
# Environment:
#   ZD_RELEASE_DIR   Release tree                   (default: build-release in the repository)
#   ZD_BENCH_OUT     where the report goes          (default: docs/BENCHMARKS.md)
#   ZD_BENCH_REPEAT  runs per cell, median taken    (default: 3)
#   ZD_JOBS          parallel compile jobs          (default: number of cores)
#   ZD_BENCH_BROKER=0      skip the broker section
#   ZD_BENCH_BROKER_REQUESTS  broker memory: requests (default: 1000000)
#   ZD_BENCH_BROKER_NAMES     broker memory: distinct unknown service names (default: 100000)
#   ZD_BENCH_BROKER_ARGS   more zd-bench options for the broker's run, e.g. '--broker-workers 1,2,4'
#   ZD_BENCH_BROKER_CREDIT  zd-broker --worker-credit for the broker's second, pipelined run
#                    (default: 100, the requests the benchmark client keeps in flight; 0 skips it)
#   ZD_BENCH_CHAINS=0      skip the chained hubs (one, two, three native streamers and forwarders)
#   ZD_BENCH_CURVE=0       skip CURVE (each proxy device plain and with CURVE, and the handshake)
#   ZD_BENCH_CALLGRIND=1  also count each device's instructions per message under
#                    callgrind (16 B over tcp; adds about 6 minutes)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
release_dir=${ZD_RELEASE_DIR:-$root/build-release}
out=${ZD_BENCH_OUT:-$root/docs/BENCHMARKS.md}
repeat=${ZD_BENCH_REPEAT:-3}
jobs=${ZD_JOBS:-$(nproc)}

step() { echo "==> $* ($(date +%T))" >&2; }

if [[ -x $root/scripts/setup.sh ]]; then
    step "Checking the build dependencies (scripts/setup.sh)"
    "$root/scripts/setup.sh"
fi

# Configure only a tree that has not been configured: an existing tree (scripts/test.sh's)
# keeps its own settings; it only needs to be a Release build to give honest figures.
if [[ ! -f $release_dir/CMakeCache.txt ]]; then
    step "Configuring a Release tree in $release_dir"
    cmake -S "$root" -B "$release_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$release_dir/CMakeCache.txt")
if [[ $build_type != Release ]]; then
    echo "bench.sh: $release_dir is a '$build_type' build; benchmarks need Release" >&2
    echo "bench.sh: set ZD_RELEASE_DIR to another directory" >&2
    exit 2
fi
step "Building zd-bench and the devices in $release_dir"
cmake --build "$release_dir" -j "$jobs" --target zd-bench >/dev/null

bench=$release_dir/tools/zd-bench/zd-bench
table=$(mktemp)
broker_table=$(mktemp)
temporary=("$table" "$broker_table")
trap 'rm -rf "${temporary[@]}"' EXIT

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
command=(zd-bench --repeat "$repeat" --markdown "$table" "$@")
step "Running ${command[*]}"
started=$SECONDS
status=0
"$bench" --repeat "$repeat" --markdown "$table" "$@" >/dev/null || status=$?
elapsed=$((SECONDS - started))
if [[ ! -s $table ]]; then
    echo "bench.sh: zd-bench wrote no table (exit status $status)" >&2
    exit 1
fi

# The broker: its own run, since it has its own sizes (16 B and 256 B over tcp), worker
# counts and goals.
broker_requests=${ZD_BENCH_BROKER_REQUESTS:-1000000}
broker_names=${ZD_BENCH_BROKER_NAMES:-100000}
broker_elapsed=0
# run_broker_bench TABLE SHOWN ARGS...: zd-bench ARGS into TABLE, announced as SHOWN; adds its
# time to broker_elapsed and its failure to status.
run_broker_bench() {
    local table=$1 shown=$2 run_status=0 started=$SECONDS
    shift 2
    step "Running zd-bench $shown"
    "$bench" --markdown "$table" "$@" >/dev/null || run_status=$?
    broker_elapsed=$((broker_elapsed + SECONDS - started))
    [[ $run_status == 0 ]] || status=$run_status
    if [[ ! -s $table ]]; then
        echo "bench.sh: zd-bench $shown wrote no table (exit status $run_status)" >&2
        status=1
    fi
}
broker_command=()
if [[ ${ZD_BENCH_BROKER:-1} != 0 ]]; then
    # shellcheck disable=SC2206,SC2054 # ZD_BENCH_BROKER_ARGS split into words; commas are zd-bench's
    # zd-fed: two brokers joined by --peer, the client on one, the workers on the other
    # (docs/FEDERATION.md), beside one broker in the same run.
    broker_command=(--repeat "$repeat" -p broker,broker-latency,broker-memory -s 16,256 -t tcp
        --paths direct,zmq_proxy,zd,zd-fed
        --memory-requests "$broker_requests" --memory-names "$broker_names"
        ${ZD_BENCH_BROKER_ARGS:-})
    run_broker_bench "$broker_table" "${broker_command[*]}" "${broker_command[@]}"
fi

# The broker again with --worker-credit: requests pipelined into the workers as zmq_proxy
# does, the same client and workers (throughput and latency; memory does not change).
broker_credit=${ZD_BENCH_BROKER_CREDIT:-100}
credit_table=$(mktemp)
temporary+=("$credit_table")
credit_command=()
if [[ ${ZD_BENCH_BROKER:-1} != 0 && $broker_credit != 0 ]]; then
    # shellcheck disable=SC2206 # ZD_BENCH_BROKER_ARGS split into words
    credit_command=(--repeat "$repeat" -p broker,broker-latency -s 16,256 -t tcp
        --paths direct,zmq_proxy,zd,zd-fed
        --zd-args "--worker-credit $broker_credit" ${ZD_BENCH_BROKER_ARGS:-})
    credit_shown=${credit_command[*]}
    credit_shown=${credit_shown/--zd-args --worker-credit $broker_credit/--zd-args \'--worker-credit $broker_credit\'}
    run_broker_bench "$credit_table" "$credit_shown" "${credit_command[@]}"
fi

# The journal: zd-journal-bench measures the raw disk and zd-streamer baselines itself, in
# the same run, on the disk that holds the build tree.
journal_table=$(mktemp)
titanic_table=$(mktemp)
temporary+=("$journal_table" "$titanic_table")
journal_command=()
if [[ ${ZD_BENCH_JOURNAL:-1} != 0 ]]; then
    cmake --build "$release_dir" -j "$jobs" --target zd-journal-bench zd-journal zd-streamer \
        zd-link >/dev/null
    journal_dir=$(mktemp -d "$release_dir/journal-bench.XXXXXX")
    temporary+=("$journal_dir")
    # shellcheck disable=SC2206 # ZD_BENCH_JOURNAL_ARGS split into words
    journal_command=(--dir "$journal_dir" --runs "$repeat" ${ZD_BENCH_JOURNAL_ARGS:-})
    step "Running zd-journal-bench ${journal_command[*]}"
    "$release_dir/tools/zd-journal-bench/zd-journal-bench" \
        --journal "$release_dir/devices/zd-journal" --streamer "$release_dir/devices/zd-streamer" \
        --link "$release_dir/devices/zd-link" "${journal_command[@]}" >"$journal_table" || status=1
fi
# Titanic (9/TSP on zd-broker, stored in a journal log): its own script.
if [[ ${ZD_BENCH_TITANIC:-1} != 0 ]]; then
    cmake --build "$release_dir" -j "$jobs" --target zd-titanic titanic-bench zd-broker \
        zd-worker >/dev/null
    step "Running scripts/bench_titanic.sh (ZD_TITANIC_ARGS=${ZD_TITANIC_ARGS:---request-workers 32})"
    ZD_TITANIC_ARGS=${ZD_TITANIC_ARGS:---request-workers 32} ZD_TITANIC_DIR=$release_dir \
        "$root/scripts/bench_titanic.sh" "$release_dir" >"$titanic_table" || status=1
fi

# Federation: how fast a service spreads through three joined brokers, and is withdrawn.
federation_table=$(mktemp)
temporary+=("$federation_table")
if [[ ${ZD_BENCH_BROKER:-1} != 0 ]]; then
    step "Running scripts/bench_federation.py (service spread through 3 federated brokers)"
    /usr/bin/python3 "$root/scripts/bench_federation.py" "$release_dir/devices/zd-broker" \
        --repeat 20 >"$federation_table" || status=1
fi

# Chained hubs (docs/TOPOLOGIES.md): one, two and three native streamers and forwarders in a
# row, throughput and one-way latency (one message in flight), so the cost of each extra hop
# is a ratio within one run.
chain_table=$(mktemp)
temporary+=("$chain_table")
chain_command=()
chain_elapsed=0
if [[ ${ZD_BENCH_CHAINS:-1} != 0 ]]; then
    chain_command=(--repeat "$repeat" -p streamer,forwarder,streamer-latency,forwarder-latency
        -s 16,4K -t tcp --paths zd,zd2,zd3 --zd-args "--engine native")
    chain_shown=${chain_command[*]}
    chain_shown=${chain_shown/--zd-args --engine native/--zd-args \'--engine native\'}
    step "Running zd-bench $chain_shown"
    started=$SECONDS
    "$bench" --markdown "$chain_table" "${chain_command[@]}" >/dev/null || status=1
    chain_elapsed=$((SECONDS - started))
fi

# CURVE (docs/SECURITY.md, issue 14): each proxy device plain and with CURVE at 100 B and
# 1 KiB, and a new client's handshake (connect to first reply) through zd-queue.
curve_table=$(mktemp)
temporary+=("$curve_table")
curve_command=()
curve_elapsed=0
if [[ ${ZD_BENCH_CURVE:-1} != 0 ]]; then
    curve_command=(--repeat "$repeat" --curve -p streamer,forwarder,queue -s 100,1K -t tcp
        --paths zd,zd-curve)
    step "Running zd-bench ${curve_command[*]}"
    started=$SECONDS
    "$bench" --markdown "$curve_table" "${curve_command[@]}" >/dev/null || status=1
    curve_elapsed=$((SECONDS - started))
fi

# Instructions per message under callgrind: repeatable to about 1% where the rates swing
# ±30%. Each device runs for two message counts; the difference in instructions over the
# difference in messages cancels start-up and shutdown.
# callgrind_row PATTERN N1 N2 DIR [ZD-BENCH OPTIONS...]: prints one Markdown table row.
callgrind_row() {
    local pattern=$1 n1=$2 n2=$3 dir=$4 n device file
    shift 4
    for n in "$n1" "$n2"; do
        "$bench" -q -p "$pattern" -s 16 -t tcp --paths zmq_proxy,zd --count "$n" --warmup 0 \
            --duration 600 "$@" --device-wrapper \
            "valgrind --tool=callgrind --callgrind-out-file=$dir/$pattern.$n.%p" >/dev/null ||
            return 1
    done
    local -A per_message
    for device in "role zmq-proxy" "devices/zd-"; do
        local totals=()
        for n in "$n1" "$n2"; do
            file=$(grep -l -e "^cmd: .*$device" "$dir/$pattern.$n".* | head -n 1)
            totals+=("$(sed -n 's/^totals: *//p' "$file")")
        done
        per_message[$device]=$(((totals[1] - totals[0]) / (n2 - n1)))
    done
    local proxy=${per_message["role zmq-proxy"]} zd=${per_message["devices/zd-"]}
    local unit=message
    [[ $pattern == queue ]] && unit="round trip"
    [[ $pattern == broker ]] && unit="request (1 worker)"
    printf '| %s | %s | %s | %s | %s |\n' "$pattern" "$unit" "$proxy" "$zd" \
        "$(awk -v a="$zd" -v b="$proxy" 'BEGIN { printf "%.3fx", a / b }')"
}
callgrind_table=
if [[ ${ZD_BENCH_CALLGRIND:-0} == 1 ]]; then
    step "Counting instructions per message under callgrind"
    callgrind_dir=$(mktemp -d)
    temporary+=("$callgrind_dir")
    callgrind_table="| pattern (tcp, 16 B) | per | zmq_proxy instructions | zd instructions | zd/zmq_proxy |
|---|---|--:|--:|--:|"
    specs=("streamer 100000 300000" "forwarder 100000 300000" "queue 20000 60000")
    [[ ${ZD_BENCH_BROKER:-1} != 0 ]] && specs+=("broker 5000 15000")
    for spec in "${specs[@]}"; do
        # shellcheck disable=SC2086 # three words
        if row=$(callgrind_row $spec "$callgrind_dir" --broker-workers 1); then
            callgrind_table+=$'\n'"$row"
        else
            callgrind_table+=$'\n'"| ${spec%% *} | failed | | | |"
            status=1
        fi
    done
fi

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
libzmq_version=$(pkg-config --modversion libzmq 2>/dev/null || echo unknown)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$root" status --porcelain -- lib devices tools 2>/dev/null) ]]; then
    commit="$commit (with uncommitted changes in lib/, devices/ or tools/)"
fi

mkdir -p "$(dirname "$out")"
{
    cat <<EOF
# Benchmarks

Throughput and latency through the zd devices, each beside the same work done peer to peer
(**direct**) and through libzmq's own \`zmq_proxy\` (**zmq_proxy**), all measured in the same
run. Generated by \`scripts/bench.sh\`; do not edit by hand — rerun the script.

## Machine and run

- Date: $(date -u '+%Y-%m-%d %H:%M UTC')
- CPUs: $(nproc) × ${cpu_model:-unknown}
- Kernel: $(uname -sr)
- libzmq: $libzmq_version
- Commit: $commit
- Load average before the run: $load_before (after: $(cut -d' ' -f1-3 /proc/loadavg))
- Duration: ${elapsed} s for the devices, ${broker_elapsed} s for the broker; exit status $status

Command (from \`$release_dir\`):

    tools/zd-bench/zd-bench --repeat $repeat --markdown FILE${*:+ $*}

## How to read the table

- **Patterns.** streamer: PUSH → [PULL|PUSH] → PULL, messages/s. forwarder: PUB → [XSUB|XPUB]
  → SUB, messages/s delivered; the publisher sets XPUB_NODROP so it waits at its high-water
  mark like PUSH instead of spinning through drops (which would turn the figure into a race
  for CPU between the publisher and everything else), while the device's XPUB behaves as
  shipped.
  queue: a DEALER client keeping 100 requests in flight → [ROUTER|DEALER] → REP worker,
  round trips/s. latency: one REQ/REP round trip at a time through the queue, p50 and p99 in µs.
- **Paths.** direct: sender and receiver connected to each other. zmq_proxy: libzmq's
  \`zmq_proxy()\` in its own process, the reference device. zd: zd-streamer, zd-forwarder or
  zd-queue as shipped. Every sender, receiver and device is a separate process.
- **Ratios.** zd/zmq_proxy and zd/direct divide the zd figure by the baseline of the same row;
  above 1.0 is better for rates, below 1.0 is better for latency.
- **CPU µs/msg** is the device process's CPU time, user + system, all threads (from
  \`/proc/PID/task/*/schedstat\`, which the kernel keeps in nanoseconds; the same as
  \`/proc/PID/stat\`'s utime + stime without their 10 ms ticks) during the timed window,
  divided by the messages counted (round trips for queue and latency). Lower is better; it
  swings much less between runs than the rates.
- **Noise.** Rates on these shared virtual machines swing ±30% between runs, so only ratios
  within one row are meaningful, and a ratio within about ±10% of 1.0 is a tie. The
  device path runs three busy processes (plus their libzmq I/O threads) on $(nproc) cores,
  direct only two.
- **Latency and idle cores.** On these virtual machines waking a thread on an idle vCPU
  costs tens of µs of system time (measured: about 35 µs per context switch of the device's
  I/O thread), so round-trip latency, and CPU per round trip, are *worse* on an idle machine
  than on a busy one (REQ/REP direct p50 158 µs idle, 87 µs with one core kept busy). Compare
  latency rows only within a run.

## Results

EOF
    cat "$table"
    if [[ -n $callgrind_table ]]; then
        cat <<EOF

### Instructions per message (callgrind)

User-space instructions of the whole device process (main and I/O threads) per message,
from two runs under \`valgrind --tool=callgrind\` (difference in instructions over
difference in messages). Under valgrind the device is always the slowest stage, so this is
the saturated regime; except the broker's, with one worker that MDP hands one request at a
time (see the Broker section), which waits for it. Repeatable to about 1%, where the rates
above swing ±30%.

$callgrind_table
EOF
    fi
    if [[ -s $broker_table ]]; then
        cat <<EOF

## Broker

The Majordomo broker (\`zd-broker\`, docs/BROKER.md) beside the same request/reply work done
directly and through \`zmq_proxy\`, measured in one run. Command (from \`$release_dir\`):

    tools/zd-bench/zd-bench --markdown FILE ${broker_command[*]}

- **One client and one worker code for every path** (tools/zd-bench/roles.cpp): the client
  is a DEALER keeping 100 requests in flight (broker) or one (broker-latency); the worker
  echoes each request. **direct**: the client connects to every worker's ROUTER (DEALER
  round-robin). **zmq_proxy**: ROUTER frontend, DEALER backend, workers are DEALERs; the
  proxy hands each worker as many requests as its pipe holds. **zd**: \`zd-broker\` as
  shipped; client and workers speak MDP/0.2 (REQUEST → FINAL; READY, then REQUEST → FINAL).
- **The same body on every path** (16 B or 256 B). The MDP envelope is the broker's own
  price: a request is 1 frame from the client on the plain paths, 4 through the broker
  (\`MDPC02 0x01 echo body\`), 5 to the worker (\`MDPW02 0x02 client "" body\`), and the
  same back.
- **MDP gives a worker one request at a time** (7/MDP, 18/MDP), and so does \`zd-broker\`
  by default: each request then costs the broker a round trip to a worker and a wake-up
  of its threads, where zmq_proxy streams 100 requests into the worker's pipe and moves
  them in batches. That, not the per-message code, is most of the difference in CPU per
  request and in rate in the first table: the wake-ups table counts the device's threads
  scheduled per request. With one request outstanding neither device can batch, and their
  CPU per request is close. The second run below gives the broker
  \`--worker-credit $broker_credit\` (docs/BROKER.md, "Worker credit"): up to that many requests
  pipelined into each worker's socket, as zmq_proxy does, with nothing else changed.
- **CPU µs/msg** is per request (round trip), the device process's user + system time.
- **Memory**: one zd-broker, four MDP workers: RSS after a warm-up, half way and at the end
  of the requests. Then distinct service names nobody serves (a request to each, which
  expires, and \`mmi.service\` for as many others), 10 k a second, in two rounds of half
  the names: RSS before them, once the broker reports \`services_known\` 0 again after the
  first round ("half way"), at the end of the second, and once it has forgotten that too
  ("settled").
  The services alive during a round (requests arrive faster than they expire) and the pages
  the allocator keeps make the peak; comparing the two forgotten states cancels both. Flat
  means at most 1 MiB of growth over the second half of each phase: a leak of 2 bytes per
  request, or 21 bytes per name, would exceed it.

EOF
        cat "$broker_table"
        if [[ -s $credit_table ]]; then
            cat <<EOF

### zd-broker --worker-credit $broker_credit

The same client, workers and baselines; \`zd-broker --worker-credit $broker_credit\`, so that each
worker holds up to $broker_credit requests (it still serves them one at a time, in order).
Command:

    tools/zd-bench/zd-bench --markdown FILE ${credit_shown}

EOF
            cat "$credit_table"
        fi
        if [[ -s $federation_table ]]; then
            cat <<EOF

### Federated brokers: how fast a service spreads

Three \`zd-broker\`s joined by \`--peer\` (docs/FEDERATION.md), on ipc: a worker registers on
one hub and each other hub is asked \`mmi.service\` in turn until all answer 200; then the
worker leaves and they are asked until all answer 404. Twenty rounds each, a fresh service
name per round (\`scripts/bench_federation.py\`). The goal: usable from every hub within
100 ms.

EOF
            cat "$federation_table"
        fi
    fi
    if [[ -s $chain_table ]]; then
        cat <<EOF

## Chained hubs

One, two and three native zd-streamers or zd-forwarders in a row (docs/TOPOLOGIES.md), each
hop's frontend connected to the previous one's backend over tcp, the sender on the first and
the receiver on the last; ${chain_elapsed} s. The goal (issue 13): each extra hop costs at most
15% of throughput. **per extra hop** is the rate ratio per added hop (zd3/zd as two hops:
its square root) or the p50 added per hop. The latency rows keep one message in flight and
time it one way (the sender's clock in the message). Every hop is a process on the same
$(nproc) cores as the sender and the receiver, so a chain of three runs five busy processes
where one device runs three. Command (from \`$release_dir\`):

    tools/zd-bench/zd-bench --markdown FILE ${chain_shown}

EOF
        # zd-bench's chained-hubs table and its per-hop goal, without the device table.
        sed -n '/^| pattern | transport | size | unit | zd (one)/,/^$/p' "$chain_table"
        grep '^- each extra hop' "$chain_table" || true
    fi
    if [[ -s $curve_table ]]; then
        cat <<EOF

## CURVE

Each proxy device plain (\`zd\`) beside the same device with \`--curve-cert\`/\`--curve-allow\`
and its peers as CURVE clients (\`zd-curve\`; certificates made by zd-bench in a temp dir),
over tcp, medians of $repeat runs; ${curve_elapsed} s. The plain device may run the native
engine; with CURVE it runs libzmq's. Goals (issue 14): with CURVE at least 0.25x plain at
100 B and 0.5x at 1 KiB; a new CURVE client's connect and first round trip through
zd-queue (to a REP worker) below 10 ms, median. Command (from \`$release_dir\`):

    tools/zd-bench/zd-bench --markdown FILE ${curve_command[*]}

EOF
        # zd-bench's CURVE and handshake tables and their goals, without the device table.
        sed -n '/^| pattern | transport | size | unit | zd (plain)/,/^$/p' "$curve_table"
        sed -n '/^| transport | zd-queue | clients/,/^$/p' "$curve_table"
        grep -E '^- (zd device with CURVE|a new CURVE client)' "$curve_table" || true
    fi
    if [[ -s $journal_table ]]; then
        cat <<EOF

## Journal

\`zd-journal\` (docs/JOURNAL.md) with 256 B messages: producers keep up to 20 000 messages
in flight each and count a message once its ACK is back; "end to end" also has a consumer
acknowledging every record. Beside it, in the same run and on the same disk: raw
\`write()\` of each record with an \`fdatasync\` every 1, 100 or 1000 records or never, and
plain \`zd-streamer\` (no disk). \`zd-link\` (docs/JOURNAL.md, "Store-and-forward links")
runs between two such journals: the same producers publish to the near one, and a figure
counts until the far one has committed everything (its STATS); the drain figure stops the
far journal for 10 s while the producers publish, then times the backlog into the far
journal once it is back. Medians of $repeat runs. Command (from \`$release_dir\`):

    tools/zd-journal-bench/zd-journal-bench --journal devices/zd-journal --streamer devices/zd-streamer --link devices/zd-link ${journal_command[*]}

EOF
        cat "$journal_table"
    fi
    if [[ -s $titanic_table ]]; then
        cat <<EOF

## Titanic

\`zd-titanic\` (docs/TITANIC.md) behind \`zd-broker\`: \`titanic.request\` round trips per
second (each answered only once the request is durable), next to the same clients calling
the echo service directly through the same broker. The reference (the zguide's Titanic,
which never syncs) did about 1.3 k requests/s on this machine.

EOF
        cat "$titanic_table"
    fi
    cat <<'EOF'

## Digging deeper

Instructions per message do not swing between runs (within 1% under callgrind). To compare
a zd device with zmq_proxy, run each under callgrind for two message counts and divide the
difference in instructions by the difference in messages (this cancels start-up):

    for n in 100000 300000; do
      zd-bench -p streamer -s 16 -t tcp --paths zmq_proxy,zd --count $n --warmup 0 \
        --duration 300 --device-wrapper "valgrind --tool=callgrind --callgrind-out-file=cg.$n.%p"
    done
    grep -H -e '^cmd:' -e '^totals:' cg.*    # (Ir[300k] - Ir[100k]) / 200000 per device

Add `--collect-systime=nsec` to the valgrind options to count system calls as well.
EOF
} >"$out"
step "Wrote $out (${elapsed} s of measurements)"
exit "$status"
