// A device or tool under test, run as a real child process: spawned with posix_spawn, its
// stdout and stderr captured through pipes, waited on with timeouts, and always reaped (the
// destructor kills what is still running), so a failing test never leaves a device behind.
// Not thread-safe: one test thread owns each child.
#pragma once

#include "base/endpoints.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace zd::test {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// What a device announced once every socket was attached:
//   "zd-queue: ready frontend=@tcp://127.0.0.1:41185 backend=@ipc:///tmp/b.ipc"
struct ready_line_t {
    std::string program;                          // "zd-queue"
    std::map<std::string, endpoint_list_t> sides; // "frontend" -> endpoints as attached

    // The libzmq address a peer connects to for the index-th endpoint of side (which must
    // be bound). Throws std::out_of_range if there is no such side or endpoint.
    std::string address(const std::string& side, std::size_t index = 0) const;
};

// Parses a ready line (the text after "program: "). Throws std::runtime_error naming the line
// if it is not one.
ready_line_t parse_ready_line(std::string_view line);

class child_process_t {
public:
    // Spawns path with args (argv[0] is path). The child gets a clean signal mask and default
    // dispositions, whatever the test process blocks. Throws std::system_error.
    child_process_t(const std::string& path, const std::vector<std::string>& args);
    ~child_process_t();
    child_process_t(const child_process_t&) = delete;
    child_process_t& operator=(const child_process_t&) = delete;

    pid_t pid() const { return pid_; }

    // Waits for the ready line on stderr and returns it parsed. Throws std::runtime_error,
    // with everything the child wrote, if the child exits or the timeout passes first.
    ready_line_t wait_ready(milliseconds timeout = 5s);

    // Sends a signal (no effect once the child has been reaped).
    void send_signal(int signal_number);

    // Waits for the child to exit and returns its exit code (128 + signal if a signal killed
    // it), or nullopt if it is still running after timeout.
    std::optional<int> wait_exit(milliseconds timeout = 5s);

    // Everything the child has written so far (reads what is waiting first).
    const std::string& stderr_text();
    const std::string& stdout_text();

private:
    // Reads what the pipes hold, waiting at most timeout_ms for something to happen
    // (output or exit). Reaps the child if it has exited.
    void pump(int timeout_ms);
    void reap(int status);

    pid_t pid_ = -1;
    int pidfd_ = -1;  // readable once the child exits (Linux 5.3+); -1 if absent
    int out_fd_ = -1; // read ends of the child's stdout and stderr; -1 at EOF
    int err_fd_ = -1;
    std::optional<int> exit_code_; // set once reaped
    std::string out_;
    std::string err_;
};

// The result of running a program to its end.
struct run_result_t {
    int exit_code;
    std::string out;
    std::string err;
};

// Runs path with args and waits for it to exit. Throws std::runtime_error (with the output so
// far) if it is still running after timeout; the child is then killed.
run_result_t run_to_completion(const std::string& path, const std::vector<std::string>& args,
                               milliseconds timeout = 5s);

} // namespace zd::test
