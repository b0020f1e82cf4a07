#include "child_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace zd::bench {

namespace {

[[noreturn]] void fail(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

struct pipe_ends_t {
    int read = -1;
    int write = -1;
};

pipe_ends_t make_pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) fail("pipe2");
    return {fds[0], fds[1]};
}

} // namespace

child_process_t::child_process_t(std::string name, const std::vector<std::string>& argv,
                                 const spawn_options_t& options)
    : name_(std::move(name)) {
    pipe_ends_t out, err;
    if (options.capture_stdout) out = make_pipe();
    if (options.capture_stderr) err = make_pipe();
    // Everything exec needs is built before fork: the child may only call async-signal-safe
    // functions.
    std::vector<char*> args;
    for (const auto& arg : argv)
        args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);

    pid_ = fork();
    if (pid_ < 0) fail("fork");
    if (pid_ == 0) {
        if (out.write >= 0) dup2(out.write, STDOUT_FILENO);
        if (err.write >= 0) dup2(err.write, STDERR_FILENO);
        if (options.shared_fd == 3)
            fcntl(3, F_SETFD, 0); // dup2 onto itself would keep close-on-exec
        else if (options.shared_fd >= 0)
            dup2(options.shared_fd, 3);
        execvp(args[0], args.data());
        // Only async-signal-safe calls here: write the pieces of the message one by one.
        const char prefix[] = "zd-bench: cannot execute ";
        [[maybe_unused]] auto ignored = write(STDERR_FILENO, prefix, sizeof prefix - 1);
        ignored = write(STDERR_FILENO, args[0], strlen(args[0]));
        ignored = write(STDERR_FILENO, "\n", 1);
        _exit(127);
    }
    if (out.write >= 0) close(out.write);
    if (err.write >= 0) close(err.write);
    out_.fd = out.read;
    err_.fd = err.read;
}

child_process_t::~child_process_t() {
    if (!status_) stop(SIGKILL, std::chrono::milliseconds(2000));
    if (out_.fd >= 0) close(out_.fd);
    if (err_.fd >= 0) close(err_.fd);
}

bool child_process_t::read_some(pipe_t& pipe, int timeout_ms) {
    if (pipe.fd < 0) return false;
    pollfd item{pipe.fd, POLLIN, 0};
    const int ready = poll(&item, 1, timeout_ms);
    if (ready <= 0) return false;
    char buffer[4096];
    const ssize_t got = read(pipe.fd, buffer, sizeof buffer);
    if (got <= 0) {
        close(pipe.fd); // end of file: the child closed it or exited
        pipe.fd = -1;
        return false;
    }
    pipe.pending.append(buffer, std::size_t(got));
    pipe.all.append(buffer, std::size_t(got));
    return true;
}

std::optional<std::string> child_process_t::read_line(stream_t stream,
                                                      std::chrono::milliseconds timeout) {
    pipe_t& pipe = pipe_of(stream);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (auto newline = pipe.pending.find('\n'); newline != std::string::npos) {
            std::string line = pipe.pending.substr(0, newline);
            pipe.pending.erase(0, newline + 1);
            return line;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || pipe.fd < 0) return std::nullopt;
        read_some(pipe, int(left.count()));
    }
}

const std::string& child_process_t::drain(stream_t stream) {
    pipe_t& pipe = pipe_of(stream);
    while (read_some(pipe, 0)) {
    }
    return pipe.all;
}

bool child_process_t::running() {
    if (status_) return false;
    int status = 0;
    const pid_t reaped = waitpid(pid_, &status, WNOHANG);
    if (reaped == pid_) status_ = status;
    return !status_;
}

bool child_process_t::stop(int signal, std::chrono::milliseconds grace) {
    if (!running()) return true;
    if (signal != 0) kill(pid_, signal);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!running()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    kill(pid_, SIGKILL);
    int status = 0;
    if (waitpid(pid_, &status, 0) == pid_) status_ = status;
    return false;
}

double child_process_t::cpu_seconds() const {
    // Each thread's schedstat holds its time on a CPU in nanoseconds, exact where the
    // stat file's utime+stime come in clock ticks (10 ms): too coarse for a device that
    // is idle most of a latency window. libzmq's threads live as long as the process, so
    // the sum over the threads present covers all of it.
    const std::string tasks = "/proc/" + std::to_string(pid_) + "/task";
    std::error_code error;
    double total = 0;
    bool found = false;
    for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
        std::ifstream schedstat(task.path() / "schedstat");
        unsigned long long nanoseconds = 0;
        if (schedstat >> nanoseconds) {
            total += double(nanoseconds) / 1e9;
            found = true;
        }
    }
    if (found) return total;
    return ticks_seconds();
}

std::uint64_t child_process_t::timeslices() const {
    const std::string tasks = "/proc/" + std::to_string(pid_) + "/task";
    std::error_code error;
    std::uint64_t total = 0;
    for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
        std::ifstream schedstat(task.path() / "schedstat");
        unsigned long long running = 0, waiting = 0, slices = 0;
        if (schedstat >> running >> waiting >> slices) total += slices;
    }
    return total;
}

double child_process_t::ticks_seconds() const {
    std::ifstream file("/proc/" + std::to_string(pid_) + "/stat");
    std::string text;
    if (!std::getline(file, text))
        throw std::runtime_error(name_ + ": cannot read /proc/" + std::to_string(pid_) + "/stat");
    // The command name (field 2) may hold spaces and parentheses: fields restart after
    // the last ')'. utime and stime are fields 14 and 15, in clock ticks.
    const auto close_paren = text.rfind(')');
    std::istringstream fields(text.substr(close_paren + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int index = 3; index <= 15 && fields >> field; ++index) {
        if (index == 14) utime = std::stoull(field);
        if (index == 15) stime = std::stoull(field);
    }
    return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

std::string child_process_t::describe_status() const {
    if (!status_) return "running";
    if (WIFEXITED(*status_)) return "exited with status " + std::to_string(WEXITSTATUS(*status_));
    if (WIFSIGNALED(*status_)) return "killed by signal " + std::to_string(WTERMSIG(*status_));
    return "ended";
}

} // namespace zd::bench
