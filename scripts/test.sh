#!/usr/bin/env bash
# The whole check, as CI runs it (.ci/run): install what is missing, then build and test
# zdevices twice, a Release tree and an AddressSanitizer + UndefinedBehaviorSanitizer
# tree, and give each libFuzzer target a short run. Exits non-zero if anything failed;
# every stage runs even after an earlier one failed, so one run shows every problem.
#
# Usage: scripts/test.sh     (as root, or as a user who may sudo: only a missing package's
#                             install runs as root, through scripts/setup.sh)
# How long a clean run takes, stage by stage, is in docs/CI_TIMES.md: test code is compiled
# without optimisation to stay well inside CI's time (tests/CMakeLists.txt).
# Environment:
#   ZD_BUILD_ROOT     where the build trees go (default: the repository)
#   ZD_RELEASE_DIR    Release tree      (default: $ZD_BUILD_ROOT/build-release)
#   ZD_ASAN_DIR       sanitizer tree    (default: $ZD_BUILD_ROOT/build-asan)
#   ZD_FUZZ_DIR       libFuzzer tree    (default: $ZD_BUILD_ROOT/build-fuzz)
#   ZD_FUZZ_SECONDS   seconds of libFuzzer per target; 0 skips fuzzing (default 10)
#   ZD_JOBS           parallel compile and test jobs (default: number of cores)
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_root=${ZD_BUILD_ROOT:-$root}
release_dir=${ZD_RELEASE_DIR:-$build_root/build-release}
asan_dir=${ZD_ASAN_DIR:-$build_root/build-asan}
fuzz_dir=${ZD_FUZZ_DIR:-$build_root/build-fuzz}
fuzz_seconds=${ZD_FUZZ_SECONDS:-10}
jobs=${ZD_JOBS:-$(nproc)}

declare -a summary=()
failed=0

step() { echo; echo "==> $* ($(date +%T), ${SECONDS}s so far)"; }
record() { # record NAME STATUS
    summary+=("$(printf '%-24s %s' "$1" "$2")")
    [[ $2 == ok* || $2 == skipped* ]] || failed=1
}

step "Checking the build dependencies (scripts/setup.sh)"
if ! "$root/scripts/setup.sh"; then
    echo "test.sh: dependencies missing and not installable; see above" >&2
    exit 1
fi

# configure_build_test NAME DIR CMAKE_ARGS...: one tree, configured, built and tested.
configure_build_test() {
    local name=$1 dir=$2
    shift 2
    step "$name: configure and build in $dir"
    local started=$SECONDS
    mkdir -p "$dir"
    if ! cmake -S "$root" -B "$dir" "$@" >"$dir/configure.log" 2>&1; then
        cat "$dir/configure.log"
        record "$name" "FAILED (configure)"
        return
    fi
    if ! cmake --build "$dir" -j "$jobs"; then
        record "$name" "FAILED (build)"
        return
    fi
    step "$name: ctest"
    if ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$jobs"; then
        record "$name" "ok ($((SECONDS - started)) s)"
    else
        record "$name" "FAILED (tests)"
    fi
}

configure_build_test "Release" "$release_dir" -DCMAKE_BUILD_TYPE=Release

# Sanitizers: stop at the first error, with a stack, so a report cannot scroll past as a
# warning. LeakSanitizer needs ptrace to stop the world; where the sandbox forbids it
# (LSan then dies with "fatal error" on every exit) leaks are not checked and we say so.
leak_probe_dir=$(mktemp -d)
trap 'rm -rf "$leak_probe_dir"' EXIT
printf 'int main() { return 0; }\n' >"$leak_probe_dir/probe.cpp"
detect_leaks=1
if g++ -fsanitize=address "$leak_probe_dir/probe.cpp" -o "$leak_probe_dir/probe" 2>/dev/null &&
    ! ASAN_OPTIONS=detect_leaks=1 "$leak_probe_dir/probe" >/dev/null 2>&1; then
    detect_leaks=0
    echo "test.sh: LeakSanitizer does not work here (no ptrace?); leak checks are OFF" >&2
fi
export ASAN_OPTIONS="detect_leaks=$detect_leaks:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# Debug keeps assert() on; -O1 is what the sanitizers recommend (fast, and stacks still
# make sense) and -g1 gives file:line in reports at a fraction of full debug info's cost.
configure_build_test "ASan+UBSan" "$asan_dir" -DCMAKE_BUILD_TYPE=Debug \
    "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" -DZD_SANITIZE=ON -DZD_BUILD_BENCHMARKS=OFF

# libFuzzer: every fuzz_* target of tests/fuzz, built with clang (which libFuzzer needs)
# and the sanitizers, each run for a bounded time on a scratch copy of its corpus, so new
# inputs never land in the source tree. The replay tests in both trees above already ran
# every corpus; this explores beyond it.
run_fuzzers() {
    if ((fuzz_seconds == 0)); then
        record "libFuzzer" "skipped (ZD_FUZZ_SECONDS=0)"
        return
    fi
    if ! command -v clang++ >/dev/null || [[ ! -d $root/tests/fuzz ]]; then
        record "libFuzzer" "skipped (no clang++ or no tests/fuzz)"
        return
    fi
    step "libFuzzer: configure and build in $fuzz_dir"
    mkdir -p "$fuzz_dir"
    if ! CXX=clang++ cmake -S "$root" -B "$fuzz_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DZD_SANITIZE=ON -DZD_LIBFUZZER=ON >"$fuzz_dir/configure.log" 2>&1; then
        cat "$fuzz_dir/configure.log"
        record "libFuzzer" "FAILED (configure)"
        return
    fi
    local targets
    targets=$(cmake --build "$fuzz_dir" --target help | grep -oE '\bfuzz_[A-Za-z0-9_]+' | sort -u)
    if [[ -z $targets ]]; then
        record "libFuzzer" "skipped (no fuzz targets)"
        return
    fi
    # shellcheck disable=SC2086 # one word per target
    if ! cmake --build "$fuzz_dir" -j "$jobs" --target $targets; then
        record "libFuzzer" "FAILED (build)"
        return
    fi
    # One fuzzer per core at a time: each is single-threaded, so the same fuzzing time costs
    # half the wall-clock time on two cores.
    local target name work status=ok binary running=0
    local -a started=()
    step "libFuzzer: each target for ${fuzz_seconds}s, $jobs at a time: $(echo $targets)"
    for target in $targets; do
        name=${target#fuzz_}
        work="$fuzz_dir/run/$name"
        rm -rf "$work" && mkdir -p "$work/corpus" "$work/artifacts"
        [[ -d $root/tests/fuzz/corpus/$name ]] && cp -r "$root/tests/fuzz/corpus/$name/." "$work/corpus/"
        binary=$(find "$fuzz_dir" -type f -name "$target" -perm -u+x | head -n 1)
        if ((running >= jobs)); then
            wait -n || true # the verdicts are read from the status files below
            running=$((running - 1))
        fi
        (
            "$binary" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 \
                -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1
            echo $? >"$work/status"
        ) &
        running=$((running + 1))
        started+=("$target")
    done
    wait
    for target in "${started[@]}"; do
        work="$fuzz_dir/run/${target#fuzz_}"
        if [[ $(cat "$work/status" 2>/dev/null) == 0 ]]; then
            echo "$target: $(tail -n 1 "$work/log")"
        else
            tail -n 60 "$work/log"
            echo "test.sh: $target found a problem; reproducer in $work/artifacts/" >&2
            status=FAILED
        fi
    done
    record "libFuzzer" "$status"
}
run_fuzzers

echo
echo "==> Summary (${SECONDS}s)"
printf '    %s\n' "${summary[@]}"
exit "$failed"
