// Child processes for tests: posix_spawn with piped stdout/stderr, a pidfd to wait on exit
// with a timeout in the same poll that reads the pipes, and a destructor that kills and reaps.
#include "child_process.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdexcept>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>

extern char** environ;

namespace zd::test {

namespace {

using clock = std::chrono::steady_clock;

[[noreturn]] void throw_errno(int error, const std::string& what) {
    throw std::system_error(error, std::generic_category(), what);
}

int remaining_ms(clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - clock::now()).count();
    return left < 0 ? 0 : int(left);
}

// Reads everything available from fd into text; closes fd and sets it to -1 at EOF.
void read_available(int& fd, std::string& text) {
    if (fd < 0) return;
    char buffer[4096];
    while (true) {
        const ssize_t count = read(fd, buffer, sizeof buffer);
        if (count > 0) {
            text.append(buffer, std::size_t(count));
            continue;
        }
        if (count < 0 && errno == EINTR) continue;
        if (count < 0 && errno == EAGAIN) return;
        close(fd); // EOF or a real error: nothing more will come
        fd = -1;
        return;
    }
}

} // namespace

std::string ready_line_t::address(const std::string& side, std::size_t index) const {
    const endpoint_t& endpoint = sides.at(side).at(index);
    std::string text = endpoint.address;
    // A wildcard bind reports 0.0.0.0; a peer on this machine reaches it on loopback.
    if (text.starts_with("tcp://0.0.0.0:")) text.replace(6, 7, "127.0.0.1");
    return text;
}

ready_line_t parse_ready_line(std::string_view line) {
    const auto marker = line.find(": ready ");
    if (marker == std::string_view::npos)
        throw std::runtime_error("not a ready line: '" + std::string(line) + "'");
    ready_line_t ready;
    ready.program = std::string(line.substr(0, marker));
    // Past the time stamp a program puts first when stderr is not a terminal (base/log.hpp).
    if (const auto space = ready.program.rfind(' '); space != std::string::npos)
        ready.program.erase(0, space + 1);
    std::string_view rest = line.substr(marker + 8);
    while (!rest.empty()) {
        const auto space = rest.find(' ');
        const std::string_view field = rest.substr(0, space);
        rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
        if (field.empty()) continue;
        const auto equals = field.find('=');
        if (equals == std::string_view::npos)
            throw std::runtime_error("ready line field without '=': '" + std::string(line) + "'");
        ready.sides[std::string(field.substr(0, equals))] =
            parse_endpoints(field.substr(equals + 1), attach_mode::bind);
    }
    return ready;
}

child_process_t::child_process_t(const std::string& path, const std::vector<std::string>& args) {
    int out_pipe[2];
    int err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0) throw_errno(errno, "pipe2");
    if (pipe2(err_pipe, O_CLOEXEC) != 0) {
        const int error = errno;
        close(out_pipe[0]);
        close(out_pipe[1]);
        throw_errno(error, "pipe2");
    }

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // dup2 clears close-on-exec on the child's copies; the originals close at exec.
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);

    // The test process may block SIGINT/SIGTERM (a proxy's stop_signal_t does); the child
    // must start as a user's shell would start it.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t empty;
    sigemptyset(&empty);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigmask(&attributes, &empty);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(path.c_str()));
    for (const auto& arg : args)
        argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);

    const int error = posix_spawn(&pid_, path.c_str(), &actions, &attributes, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    close(out_pipe[1]);
    close(err_pipe[1]);
    out_fd_ = out_pipe[0];
    err_fd_ = err_pipe[0];
    fcntl(out_fd_, F_SETFL, O_NONBLOCK);
    fcntl(err_fd_, F_SETFL, O_NONBLOCK);
    if (error != 0) {
        close(out_fd_);
        close(err_fd_);
        throw_errno(error, "posix_spawn " + path);
    }
#ifdef SYS_pidfd_open
    pidfd_ = int(syscall(SYS_pidfd_open, pid_, 0));
#endif
}

child_process_t::~child_process_t() {
    if (!exit_code_) {
        kill(pid_, SIGKILL);
        int status = 0;
        while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }
    for (int fd : {pidfd_, out_fd_, err_fd_})
        if (fd >= 0) close(fd);
}

void child_process_t::reap(int status) {
    if (WIFEXITED(status))
        exit_code_ = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        exit_code_ = 128 + WTERMSIG(status);
    else
        exit_code_ = -1;
    // Whatever the child wrote is in the pipes now; take it all.
    read_available(out_fd_, out_);
    read_available(err_fd_, err_);
}

void child_process_t::pump(int timeout_ms) {
    if (exit_code_) {
        read_available(out_fd_, out_);
        read_available(err_fd_, err_);
        return;
    }
    pollfd items[3];
    nfds_t count = 0;
    for (int fd : {out_fd_, err_fd_, pidfd_})
        if (fd >= 0) items[count++] = pollfd{fd, POLLIN, 0};
    // Without a pidfd, poll in short steps so an exit is noticed promptly.
    const int wait_ms = pidfd_ >= 0 ? timeout_ms : std::min(timeout_ms, 5);
    if (poll(items, count, wait_ms) < 0 && errno != EINTR) throw_errno(errno, "poll");
    read_available(out_fd_, out_);
    read_available(err_fd_, err_);
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) reap(status);
}

ready_line_t child_process_t::wait_ready(milliseconds timeout) {
    const auto deadline = clock::now() + timeout;
    while (true) {
        std::size_t start = 0;
        for (auto end = err_.find('\n'); end != std::string::npos; end = err_.find('\n', start)) {
            const std::string_view line(err_.data() + start, end - start);
            if (line.find(": ready ") != std::string_view::npos) return parse_ready_line(line);
            start = end + 1;
        }
        if (exit_code_)
            throw std::runtime_error("child exited with " + std::to_string(*exit_code_) +
                                     " before it was ready; stderr: " + err_);
        if (clock::now() >= deadline)
            throw std::runtime_error("child not ready after " + std::to_string(timeout.count()) +
                                     " ms; stderr: " + err_);
        pump(remaining_ms(deadline));
    }
}

void child_process_t::send_signal(int signal_number) {
    if (!exit_code_) kill(pid_, signal_number);
}

std::optional<int> child_process_t::wait_exit(milliseconds timeout) {
    const auto deadline = clock::now() + timeout;
    while (!exit_code_) {
        const int left = remaining_ms(deadline);
        pump(left);
        if (left == 0) break;
    }
    return exit_code_;
}

const std::string& child_process_t::stderr_text() {
    pump(0);
    return err_;
}

const std::string& child_process_t::stdout_text() {
    pump(0);
    return out_;
}

run_result_t run_to_completion(const std::string& path, const std::vector<std::string>& args,
                               milliseconds timeout) {
    child_process_t child(path, args);
    const auto code = child.wait_exit(timeout);
    if (!code)
        throw std::runtime_error(path + " still running after " + std::to_string(timeout.count()) +
                                 " ms; stderr: " + child.stderr_text());
    return {*code, child.stdout_text(), child.stderr_text()};
}

} // namespace zd::test
