// Running one shell command for zd-worker: the request goes to its stdin, its stdout is
// collected, and it is bounded (a timeout, a cancel descriptor, a cap on output) so that a
// stuck or runaway command can never wedge the worker.
//
// posix_spawnp with pipes, never a shell (the user writes `sh -c '...'` when they want one).
// The command runs in a process group of its own with default signal dispositions and an
// empty signal mask (zd-worker blocks SIGINT/SIGTERM and ignores SIGPIPE; a command must not
// inherit that). Killing means the whole group: SIGTERM, then SIGKILL after a short grace.
// When the command exits, whatever it left running in its group is killed too, so no stray
// process outlives the request or keeps its stdout open.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zd::worker_tool {

struct command_result_t {
    enum class outcome {
        exited,           // status is the exit code
        signalled,        // killed by signal `status` (not by us)
        timed_out,        // we killed it after the timeout
        cancelled,        // we killed it because cancel_fd became readable
        output_too_large, // we killed it: stdout passed max_output bytes
        failed_to_start   // error says why (no such file, permission denied, ...)
    };
    outcome what = outcome::exited;
    int status = 0;
    std::string output; // stdout (as much as was read)
    std::string error;  // for failed_to_start
};

struct command_limits_t {
    std::optional<std::chrono::milliseconds> timeout; // none: wait for ever
    int cancel_fd = -1;                               // readable: kill the command
    std::size_t max_output = 64u << 20;               // bytes of stdout kept at most
    std::chrono::milliseconds kill_grace{500};        // SIGTERM -> SIGKILL
};

// Runs argv (argv[0] looked up in PATH) with input on its stdin and stderr inherited.
// Never throws for anything the command does; throws std::system_error only if the
// process cannot make pipes.
command_result_t run_command(const std::vector<std::string>& argv, std::string_view input,
                             const command_limits_t& limits);

// Why program cannot be run, or empty if it can: a name with a '/' must be an executable
// file; a bare name must be one in a directory of $PATH (as posix_spawnp looks it up).
// For checking a command once at start, instead of failing every request.
std::string why_not_runnable(const std::string& program);

// "exit status 3", "signal 9 (Killed)", "timed out", ...: for logs and error replies.
std::string describe(const command_result_t& result, const command_limits_t& limits);

} // namespace zd::worker_tool
