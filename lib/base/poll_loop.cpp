#include "base/poll_loop.hpp"

#include "base/stop_signal.hpp"

#include <algorithm>
#include <cerrno>

namespace zd {

poll_loop_t::poll_loop_t(stop_signal_t& stop, control_server_t* control, control_answers_t answers)
    : stop_(stop), control_(control), answers_(std::move(answers)) {}

poll_loop_t::watch_id poll_loop_t::add(zmq::socket_t& socket, short events, handler_t on_ready,
                                       on_pause paused) {
    watches_.push_back({&socket, -1, events, std::move(on_ready), paused});
    return watches_.size() - 1;
}

poll_loop_t::watch_id poll_loop_t::add(int fd, short events, handler_t on_ready, on_pause paused) {
    watches_.push_back({nullptr, fd, events, std::move(on_ready), paused});
    return watches_.size() - 1;
}

void poll_loop_t::set_events(watch_id id, short events) {
    watches_.at(id).events = events;
}

void poll_loop_t::set_socket(watch_id id, zmq::socket_t* socket) {
    watches_.at(id).socket = socket;
}

std::uint64_t poll_loop_t::uptime_ms() const {
    return std::uint64_t(
        std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started_).count());
}

long poll_loop_t::poll_timeout_ms() const {
    if (!next_wake_) return -1;
    const auto wake = next_wake_();
    if (wake == clock::time_point::max()) return -1;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(wake - clock::now());
    // One more millisecond: poll's timeout rounds down, and waking just before the
    // deadline would spin a turn for nothing.
    return std::max<long>(0, long(left.count()) + 1);
}

void poll_loop_t::answer_control() {
    control_->serve_pending([this](control_command command, std::string_view text) {
        return zd::answer_control(command, text, paused_, terminate_,
                                  answers_.statistics ? answers_.statistics() : statistics_t{},
                                  answers_.stats_json);
    });
}

loop_exit poll_loop_t::run() {
    started_ = clock::now();
    running_ = true;
    while (running_ && !terminate_) {
        items_.clear();
        polled_.clear();
        items_.push_back({nullptr, stop_.fd(), ZMQ_POLLIN, 0});
        if (control_) items_.push_back({control_->socket().handle(), 0, ZMQ_POLLIN, 0});
        const std::size_t fixed = items_.size();
        for (watch_id id = 0; id < watches_.size(); ++id) {
            const auto& watch = watches_[id];
            if (watch.events == 0 || (!watch.socket && watch.fd < 0)) continue;
            if (paused_ && watch.paused == on_pause::stop) continue;
            items_.push_back(
                {watch.socket ? watch.socket->handle() : nullptr, watch.fd, watch.events, 0});
            polled_.push_back(id);
        }
        if (zmq_poll(items_.data(), int(items_.size()), poll_timeout_ms()) < 0) {
            if (errno == EINTR) continue;
            throw zmq::error_t();
        }
        if (items_[0].revents && stop_.received()) return loop_exit::signal;
        if (control_ && items_[1].revents) answer_control();
        if (terminate_) break;
        for (std::size_t i = fixed; i < items_.size(); ++i)
            if (items_[i].revents) watches_[polled_[i - fixed]].on_ready();
        if (after_turn_) after_turn_();
    }
    return loop_exit::terminate;
}

} // namespace zd
