#include "shell/tool_io.hpp"

#include "base/message_io.hpp"

#include "base/stop_signal.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <poll.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace zd::shell {

namespace {

// Milliseconds left until deadline for a poll call, rounded up; -1 for no deadline.
long poll_timeout(const deadline_t& deadline) {
    if (!deadline) return -1;
    const auto left = *deadline - clock_t::now();
    if (left <= clock_t::duration::zero()) return 0;
    return long(std::chrono::ceil<std::chrono::milliseconds>(left).count());
}

bool passed(const deadline_t& deadline) {
    return deadline && clock_t::now() >= *deadline;
}

constexpr std::size_t flush_threshold = 64 * 1024; // bytes collected before writing anyway

} // namespace

deadline_t deadline_after(long long timeout_ms) {
    if (timeout_ms < 0) return std::nullopt;
    return clock_t::now() + std::chrono::milliseconds(timeout_ms);
}

wait_result wait_for_socket(zmq::socket_t& socket, short events, stop_signal_t& stop,
                            deadline_t deadline, int output_fd) {
    if (stop.received()) return wait_result::stopped;
    while (true) {
        // A raw descriptor polled for no events still reports POLLERR/POLLHUP, which is
        // exactly how a pipe tells its writer that the reader has gone.
        zmq::pollitem_t items[] = {{socket.handle(), 0, events, 0},
                                   {nullptr, stop.fd(), ZMQ_POLLIN, 0},
                                   {nullptr, output_fd, 0, 0}};
        const int count = output_fd >= 0 ? 3 : 2;
        if (zmq_poll(items, count, poll_timeout(deadline)) < 0) {
            if (zmq_errno() == EINTR) continue; // another signal (SIGWINCH, ...): poll again
            throw zmq::error_t();
        }
        if (items[1].revents != 0 && stop.received()) return wait_result::stopped;
        if (count == 3 && items[2].revents != 0) return wait_result::output_closed;
        if (items[0].revents & events) return wait_result::ready;
        if (passed(deadline)) return wait_result::timeout;
    }
}

wait_result wait_for_readable(int fd, stop_signal_t& stop, deadline_t deadline) {
    if (stop.received()) return wait_result::stopped;
    while (true) {
        pollfd items[] = {{fd, POLLIN, 0}, {stop.fd(), POLLIN, 0}};
        const int result = ::poll(items, 2, int(std::min(poll_timeout(deadline), 1L << 30)));
        if (result < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "poll");
        }
        if (items[1].revents != 0 && stop.received()) return wait_result::stopped;
        if (items[0].revents != 0) return wait_result::ready; // data, end of file or error
        if (passed(deadline)) return wait_result::timeout;
    }
}

wait_result sleep_until(stop_signal_t& stop, clock_t::time_point deadline) {
    if (stop.received()) return wait_result::stopped;
    while (true) {
        pollfd item{stop.fd(), POLLIN, 0};
        const int result = ::poll(&item, 1, int(poll_timeout(deadline)));
        if (result < 0 && errno != EINTR)
            throw std::system_error(errno, std::generic_category(), "poll");
        if (item.revents != 0 && stop.received()) return wait_result::stopped;
        if (passed(deadline)) return wait_result::timeout;
    }
}

wait_result send_message(zmq::socket_t& socket, const std::vector<std::string>& frames,
                         stop_signal_t& stop, deadline_t deadline) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const auto more = i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
        while (!socket.send(zmq::buffer(frames[i]), more | zmq::send_flags::dontwait)) {
            const wait_result waited = wait_for_socket(socket, ZMQ_POLLOUT, stop, deadline);
            if (waited != wait_result::ready) return waited;
        }
    }
    return wait_result::ready;
}

wait_result send_message_blocking(zmq::socket_t& socket, const std::vector<std::string>& frames,
                                  stop_signal_t& stop, deadline_t deadline) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const auto more = i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
        while (!socket.send(zmq::buffer(frames[i]), more)) { // EAGAIN: the slice ran out
            if (stop.received()) return wait_result::stopped;
            if (passed(deadline)) return wait_result::timeout;
        }
    }
    return wait_result::ready;
}

bool try_receive_message(zmq::socket_t& socket, std::vector<zmq::message_t>& message) {
    return receive_message(socket, message) != received::nothing;
}

line_output_t::line_output_t(int fd) : fd_(fd) {
    std::signal(SIGPIPE, SIG_IGN);
    struct stat status {};
    if (fstat(fd, &status) == 0 && (S_ISFIFO(status.st_mode) || S_ISSOCK(status.st_mode)))
        watch_fd_ = fd;
}

bool line_output_t::add_line(std::string_view line) {
    if (closed_) return false;
    pending_.append(line);
    pending_ += '\n';
    return pending_.size() < flush_threshold || flush();
}

bool line_output_t::flush() {
    std::size_t written = 0;
    while (!closed_ && written < pending_.size()) {
        const ssize_t result = ::write(fd_, pending_.data() + written, pending_.size() - written);
        if (result >= 0) {
            written += std::size_t(result);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            pollfd item{fd_, POLLOUT, 0};
            (void)::poll(&item, 1, -1);
        } else if (errno != EINTR) {
            // EPIPE: the reader went away. Any other error (disk full, ...) ends output too.
            closed_ = true;
            if (errno != EPIPE)
                throw std::system_error(errno, std::generic_category(), "cannot write output");
        }
    }
    pending_.clear();
    return !closed_;
}

} // namespace zd::shell
