// One command per request: spawn, feed stdin and read stdout in one poll loop (so a command
// that writes before it has read everything never deadlocks against us), wait for its exit
// on a pidfd, kill its process group when a limit is reached.
#include "command_runner.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>

extern char** environ;

namespace zd::worker_tool {

namespace {

using steady_clock = std::chrono::steady_clock;

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

void set_nonblocking(int fd) {
    const int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) (void)fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
    return int(syscall(SYS_pidfd_open, pid, 0));
#else
    (void)pid;
    return -1;
#endif
}

// Has the child exited? Leaves it unreaped (a zombie keeps its pid and process group
// reserved, so killing the group afterwards cannot hit a stranger).
bool has_exited(pid_t pid) {
    siginfo_t info{};
    if (waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return true;
    return info.si_pid == pid;
}

// Waits until the child exits or the deadline passes. True if it exited.
bool wait_exit(pid_t pid, int pidfd, steady_clock::time_point deadline) {
    while (!has_exited(pid)) {
        const auto left =
            std::chrono::ceil<std::chrono::milliseconds>(deadline - steady_clock::now()).count();
        if (left <= 0) return false;
        pollfd item{pidfd, POLLIN, 0};
        // Without a pidfd, look again every 10 ms.
        (void)::poll(&item, pidfd >= 0 ? 1 : 0, pidfd >= 0 ? int(left) : int(std::min(left, 10L)));
    }
    return true;
}

// SIGTERM to the command's group, SIGKILL if it has not exited after the grace period.
void terminate_group(pid_t pid, int pidfd, std::chrono::milliseconds grace) {
    (void)kill(-pid, SIGTERM);
    if (!wait_exit(pid, pidfd, steady_clock::now() + grace)) (void)kill(-pid, SIGKILL);
}

// Reads what fd holds now into output (up to limit bytes kept). Returns false at EOF or on
// an error (fd is then closed).
bool read_available(int& fd, std::string& output, std::size_t limit, bool& overflow) {
    char buffer[65536];
    while (true) {
        const ssize_t count = ::read(fd, buffer, sizeof buffer);
        if (count > 0) {
            const std::size_t room = limit > output.size() ? limit - output.size() : 0;
            output.append(buffer, std::min(room, std::size_t(count)));
            if (std::size_t(count) > room) overflow = true;
            continue;
        }
        if (count < 0 && errno == EINTR) continue;
        if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        close_fd(fd);
        return false;
    }
}

struct spawn_attributes_t {
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_t actions;
    spawn_attributes_t() {
        posix_spawnattr_init(&attributes);
        posix_spawn_file_actions_init(&actions);
    }
    ~spawn_attributes_t() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attributes);
    }
};

} // namespace

command_result_t run_command(const std::vector<std::string>& argv, std::string_view input,
                             const command_limits_t& limits) {
    command_result_t result;
    if (argv.empty()) {
        result.what = command_result_t::outcome::failed_to_start;
        result.error = "no command";
        return result;
    }
    int stdin_pipe[2], stdout_pipe[2];
    if (pipe2(stdin_pipe, O_CLOEXEC) != 0)
        throw std::system_error(errno, std::generic_category(), "pipe");
    if (pipe2(stdout_pipe, O_CLOEXEC) != 0) {
        const int error = errno;
        ::close(stdin_pipe[0]);
        ::close(stdin_pipe[1]);
        throw std::system_error(error, std::generic_category(), "pipe");
    }
    int to_command = stdin_pipe[1], from_command = stdout_pipe[0];

    spawn_attributes_t spawn;
    // dup2 clears close-on-exec on the copies; every other descriptor of ours stays shut.
    posix_spawn_file_actions_adddup2(&spawn.actions, stdin_pipe[0], 0);
    posix_spawn_file_actions_adddup2(&spawn.actions, stdout_pipe[1], 1);
    sigset_t empty, defaults;
    sigemptyset(&empty);
    sigemptyset(&defaults);
    for (int signal_number : {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD})
        sigaddset(&defaults, signal_number);
    posix_spawnattr_setsigmask(&spawn.attributes, &empty);
    posix_spawnattr_setsigdefault(&spawn.attributes, &defaults);
    posix_spawnattr_setpgroup(&spawn.attributes, 0); // its own group: we kill the group
    posix_spawnattr_setflags(&spawn.attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                                    POSIX_SPAWN_SETPGROUP);
    std::vector<char*> args;
    for (const auto& arg : argv)
        args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);

    pid_t pid = -1;
    const int spawned =
        posix_spawnp(&pid, args[0], &spawn.actions, &spawn.attributes, args.data(), environ);
    ::close(stdin_pipe[0]);
    ::close(stdout_pipe[1]);
    if (spawned != 0) {
        close_fd(to_command);
        close_fd(from_command);
        result.what = command_result_t::outcome::failed_to_start;
        result.error = std::strerror(spawned);
        return result;
    }
    set_nonblocking(to_command);
    set_nonblocking(from_command);
    int pidfd = open_pidfd(pid);

    // No timeout: a deadline that never comes (a plain time point keeps GCC's
    // -Wmaybe-uninitialized quiet, which an optional does not).
    const bool has_deadline = limits.timeout.has_value();
    const steady_clock::time_point deadline =
        has_deadline ? steady_clock::now() + *limits.timeout : steady_clock::time_point::max();
    std::size_t written = 0;
    if (input.empty()) close_fd(to_command); // EOF at once
    bool overflow = false;
    std::optional<command_result_t::outcome> killed; // why we killed it, if we did
    while (true) {
        pollfd items[4];
        nfds_t count = 0;
        int in_at = -1, out_at = -1, cancel_at = -1;
        if (to_command >= 0) {
            in_at = int(count);
            items[count++] = {to_command, POLLOUT, 0};
        }
        if (from_command >= 0) {
            out_at = int(count);
            items[count++] = {from_command, POLLIN, 0};
        }
        if (limits.cancel_fd >= 0) {
            cancel_at = int(count);
            items[count++] = {limits.cancel_fd, POLLIN, 0};
        }
        if (pidfd >= 0) items[count++] = {pidfd, POLLIN, 0};
        long timeout_ms = pidfd >= 0 ? -1 : 10; // without a pidfd, look for the exit often
        if (has_deadline) {
            const long left =
                long(std::chrono::ceil<std::chrono::milliseconds>(deadline - steady_clock::now())
                         .count());
            timeout_ms = timeout_ms < 0 ? std::max(0L, left) : std::clamp(left, 0L, timeout_ms);
        }
        if (::poll(items, count, int(timeout_ms)) < 0 && errno != EINTR) break;

        if (in_at >= 0 && items[in_at].revents != 0) {
            const std::size_t chunk = std::min<std::size_t>(input.size() - written, 65536);
            const ssize_t count_written = ::write(to_command, input.data() + written, chunk);
            if (count_written > 0) written += std::size_t(count_written);
            // EPIPE: the command does not read its stdin; that is its business.
            if ((count_written < 0 && errno != EAGAIN && errno != EINTR) || written == input.size())
                close_fd(to_command);
        }
        if (out_at >= 0 && items[out_at].revents != 0)
            read_available(from_command, result.output, limits.max_output, overflow);
        if (overflow) killed = command_result_t::outcome::output_too_large;
        if (cancel_at >= 0 && items[cancel_at].revents != 0)
            killed = command_result_t::outcome::cancelled;
        if (!killed && has_deadline && steady_clock::now() >= deadline)
            killed = command_result_t::outcome::timed_out;
        if (killed) {
            terminate_group(pid, pidfd, limits.kill_grace);
            break;
        }
        if (has_exited(pid)) break;
    }
    // What the command wrote before it exited is in the pipe; take it, then clear away
    // anything it left running in its group (still reserved: the command is a zombie).
    if (from_command >= 0 && !killed)
        read_available(from_command, result.output, limits.max_output, overflow);
    (void)kill(-pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    close_fd(to_command);
    close_fd(from_command);
    close_fd(pidfd);

    if (killed) {
        result.what = *killed;
    } else if (overflow) {
        result.what = command_result_t::outcome::output_too_large;
    } else if (WIFSIGNALED(status)) {
        result.what = command_result_t::outcome::signalled;
        result.status = WTERMSIG(status);
    } else {
        result.what = command_result_t::outcome::exited;
        result.status = WEXITSTATUS(status);
    }
    return result;
}

namespace {

// Empty if path is a file we may execute, else why not.
std::string why_not_executable(const std::string& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) return std::strerror(errno);
    if (S_ISDIR(status.st_mode)) return "is a directory";
    if (::access(path.c_str(), X_OK) != 0) return std::strerror(errno);
    return {};
}

} // namespace

std::string why_not_runnable(const std::string& program) {
    if (program.empty()) return "empty command name";
    if (program.find('/') != std::string::npos) {
        const std::string why = why_not_executable(program);
        return why.empty() ? why : "'" + program + "': " + why;
    }
    const char* from_environment = std::getenv("PATH");
    const std::string path = from_environment ? from_environment : "/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        const std::string directory = end == start ? "." : path.substr(start, end - start);
        if (why_not_executable(directory + "/" + program).empty()) return {};
        start = end + 1;
    }
    return "'" + program + "': no such executable in $PATH (" + path + ")";
}

std::string describe(const command_result_t& result, const command_limits_t& limits) {
    using outcome = command_result_t::outcome;
    switch (result.what) {
    case outcome::exited:
        return "exit status " + std::to_string(result.status);
    case outcome::signalled:
        return "killed by signal " + std::to_string(result.status) + " (" +
               strsignal(result.status) + ")";
    case outcome::timed_out:
        return "timed out after " + std::to_string(limits.timeout ? limits.timeout->count() : 0) +
               " ms (--command-timeout), killed";
    case outcome::cancelled:
        return "cancelled, killed";
    case outcome::output_too_large:
        return "output larger than " + std::to_string(limits.max_output) + " bytes, killed";
    case outcome::failed_to_start:
        return "cannot start: " + result.error;
    }
    return "unknown";
}

} // namespace zd::worker_tool
