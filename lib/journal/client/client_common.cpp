// Socket plumbing the journal's client helpers share (see client_common.hpp).
#include "journal/client/client_common.hpp"

#include "base/message_io.hpp"

#include <cerrno>

namespace zd::journal::client_detail {

deadline_t deadline_after(std::chrono::milliseconds timeout) {
    if (timeout.count() < 0) return std::nullopt;
    return steady_clock::now() + timeout;
}

long poll_timeout(const deadline_t& deadline) {
    if (!deadline) return -1;
    const auto left = *deadline - steady_clock::now();
    if (left <= steady_clock::duration::zero()) return 0;
    return long(std::chrono::ceil<std::chrono::milliseconds>(left).count());
}

short wait(zmq::socket_t& socket, short events, deadline_t deadline, int stop_fd) {
    while (true) {
        zmq::pollitem_t items[] = {{socket.handle(), 0, events, 0},
                                   {nullptr, stop_fd, ZMQ_POLLIN, 0}};
        const int count = stop_fd >= 0 ? 2 : 1;
        if (zmq_poll(items, count, poll_timeout(deadline)) < 0) {
            if (zmq_errno() == EINTR) continue;
            throw zmq::error_t();
        }
        if (count == 2 && items[1].revents != 0) throw interrupted_error();
        if (items[0].revents & events) return items[0].revents;
        if (deadline && steady_clock::now() >= *deadline) return 0;
    }
}

bool receive(zmq::socket_t& socket, std::vector<zmq::message_t>& frames) {
    return receive_message(socket, frames) != received::nothing;
}

std::vector<std::string_view> views_of(const std::vector<zmq::message_t>& frames) {
    std::vector<std::string_view> views;
    views.reserve(frames.size());
    std::size_t at = 0;
    if (!frames.empty() && frames[0].size() == 0) at = 1;
    for (; at < frames.size(); ++at)
        views.push_back(frames[at].to_string_view());
    return views;
}

std::size_t split_line(std::string_view line, std::string_view* tokens, std::size_t max) {
    std::size_t count = 0;
    while (count < max) {
        const std::size_t space = count + 1 < max ? line.find(' ') : std::string_view::npos;
        tokens[count++] = line.substr(0, space);
        if (space == std::string_view::npos) break;
        line.remove_prefix(space + 1);
    }
    return count;
}

bool try_send(zmq::socket_t& socket, const std::vector<zmq::const_buffer>& frames) {
    if (frames.empty()) return true;
    const bool single = frames.size() == 1;
    if (!socket.send(frames[0], single ? zmq::send_flags::dontwait
                                       : zmq::send_flags::sndmore | zmq::send_flags::dontwait))
        return false;
    for (std::size_t i = 1; i < frames.size(); ++i)
        (void)socket.send(frames[i],
                          i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    return true;
}

} // namespace zd::journal::client_detail
