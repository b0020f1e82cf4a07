// A child process the benchmark owns: a device, a zmq_proxy, a sender or a receiver.
//
// RAII: the destructor kills and reaps a child that is still running, so a failed
// measurement never leaves processes behind. The parent reads the ready line a child
// prints on stdout or stderr, and samples its CPU time from /proc to charge the device
// for the messages it moved.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace zd::bench {

enum class stream_t { out, err };

struct spawn_options_t {
    bool capture_stdout = false; // else inherited
    bool capture_stderr = false; // else inherited
    int shared_fd = -1;          // passed on as descriptor 3 when >= 0
};

class child_process_t {
public:
    // Forks and executes argv[0] (a path, or a name looked up on PATH) with argv. Throws
    // std::system_error if fork or pipe fail; a failed exec shows up as exit status 127 and a
    // message on stderr.
    child_process_t(std::string name, const std::vector<std::string>& argv,
                    const spawn_options_t& options);
    ~child_process_t();
    child_process_t(const child_process_t&) = delete;
    child_process_t& operator=(const child_process_t&) = delete;

    const std::string& name() const { return name_; }
    pid_t pid() const { return pid_; }

    // The next line (without '\n') the child wrote on a captured stream; nullopt if none
    // came within timeout or the stream closed.
    std::optional<std::string> read_line(stream_t stream, std::chrono::milliseconds timeout);

    // Reads whatever a captured stream holds without waiting, so a chatty child never
    // blocks on a full pipe. Returns everything read from it so far, ready lines included.
    const std::string& drain(stream_t stream);

    // True while the child has not exited (reaps it if it has).
    bool running();

    // The exit status as from waitpid, once the child has exited.
    std::optional<int> status() const { return status_; }

    // Sends signal (0 = none, just wait), waits up to grace for the exit, then SIGKILLs.
    // Returns true if the child exited within grace.
    bool stop(int signal, std::chrono::milliseconds grace);

    // CPU time of every thread, user plus system, in seconds: from the threads'
    // /proc/PID/task/*/schedstat (nanoseconds), else /proc/PID/stat's utime+stime (ticks).
    // Throws std::runtime_error once the process is gone.
    double cpu_seconds() const;
    // Times any of its threads was scheduled onto a CPU (schedstat's third field, summed
    // over the threads): each is a wake-up, which costs tens of µs on these VMs.
    std::uint64_t timeslices() const;
    // The same from /proc/PID/stat's utime+stime alone, in clock ticks.
    double ticks_seconds() const;

    // "exited with status 1", "killed by signal 9", "running".
    std::string describe_status() const;

private:
    struct pipe_t {
        int fd = -1;
        std::string pending; // bytes after the last line handed out
        std::string all;     // everything read, for diagnostics
    };
    pipe_t& pipe_of(stream_t stream) { return stream == stream_t::out ? out_ : err_; }
    bool read_some(pipe_t& pipe, int timeout_ms);

    std::string name_;
    pid_t pid_ = -1;
    pipe_t out_;
    pipe_t err_;
    std::optional<int> status_;
};

} // namespace zd::bench
