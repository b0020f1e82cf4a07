// Waiting and writing the way a shell tool must: every wait also watches the stop signal
// (SIGINT/SIGTERM through a signalfd), so a tool blocked on a silent socket or an idle stdin
// still exits at once; and stdout is written so that a closed pipe (`zd-recv | head -1`)
// ends the tool quietly instead of killing it with SIGPIPE.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

namespace zd {
class stop_signal_t;
}

namespace zd::shell {

using clock_t = std::chrono::steady_clock;

// A point in time to give up at; nullopt waits forever.
using deadline_t = std::optional<clock_t::time_point>;

// A deadline timeout_ms from now; a negative timeout means none (wait forever).
deadline_t deadline_after(long long timeout_ms);

enum class wait_result {
    ready,        // the socket or descriptor has what was asked for
    timeout,      // the deadline passed first
    stopped,      // SIGINT or SIGTERM arrived
    output_closed // the reader of the watched stdout pipe has gone
};

// Waits until the socket has events (ZMQ_POLLIN and/or ZMQ_POLLOUT), a stop signal
// arrives, the deadline passes or, if output_fd >= 0, that pipe's reader closes it.
// Throws zmq::error_t if polling fails for a reason other than EINTR.
wait_result wait_for_socket(zmq::socket_t& socket, short events, stop_signal_t& stop,
                            deadline_t deadline, int output_fd = -1);

// Waits until fd is readable (data or end of file), a stop signal arrives or the deadline.
wait_result wait_for_readable(int fd, stop_signal_t& stop, deadline_t deadline);

// Sleeps until the deadline or a stop signal, whichever comes first (timeout or stopped).
wait_result sleep_until(stop_signal_t& stop, clock_t::time_point deadline);

// Sends frames as one message. Blocks (watching the stop signal) while the socket is at its
// high-water mark or has no peer. Returns ready once sent, or timeout / stopped.
wait_result send_message(zmq::socket_t& socket, const std::vector<std::string>& frames,
                         stop_signal_t& stop, deadline_t deadline = std::nullopt);

// Sends frames as one message, waiting inside libzmq's own blocking send instead of polling
// for ZMQ_POLLOUT: for an XPUB with ZMQ_XPUB_NODROP, whose POLLOUT is always set (libzmq 4.3
// reports room on any XPUB, so a poll loop would spin) while a blocking send sleeps until a
// subscriber's pipe has room. The caller sets ZMQ_SNDTIMEO on the socket to a short slice;
// between slices the stop signal and the deadline are checked. Returns ready, timeout or
// stopped.
wait_result send_message_blocking(zmq::socket_t& socket, const std::vector<std::string>& frames,
                                  stop_signal_t& stop, deadline_t deadline = std::nullopt);

// Receives one whole message without waiting. Returns false if none is pending.
bool try_receive_message(zmq::socket_t& socket, std::vector<zmq::message_t>& message);

// Lines for stdout, written with write(2) so that a reader that went away is an answer
// (false), not a SIGPIPE. Lines are collected and written in one go by flush(), so a burst
// of messages costs one system call, yet nothing waits unwritten while the tool blocks.
class line_output_t {
public:
    // Ignores SIGPIPE for the process (libzmq's own sockets already use MSG_NOSIGNAL).
    explicit line_output_t(int fd = 1);

    // Adds line and a newline. Flushes when much is pending. Returns false once the
    // reader has closed the pipe.
    bool add_line(std::string_view line);

    // Writes everything pending. Returns false once the reader has closed the pipe.
    bool flush();

    // The descriptor to watch for the reader closing it, or -1 if it is not a pipe or socket
    // (a file or terminal has no reader that could go away).
    int watch_fd() const { return watch_fd_; }

    bool closed() const { return closed_; }

private:
    int fd_;
    int watch_fd_ = -1;
    bool closed_ = false;
    std::string pending_;
};

} // namespace zd::shell
