#include "shell/peer_monitor.hpp"

#include <atomic>
#include <string>

namespace zd::shell {

namespace {
std::string next_monitor_address() {
    static std::atomic<unsigned> counter{0};
    return "inproc://zd-peer-monitor-" + std::to_string(counter++);
}
} // namespace

peer_monitor_t::peer_monitor_t(zmq::context_t& context, zmq::socket_t& socket)
    : events_(context, zmq::socket_type::pair) {
    const std::string address = next_monitor_address();
    if (zmq_socket_monitor(socket.handle(), address.c_str(), ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0)
        throw zmq::error_t();
    events_.set(zmq::sockopt::linger, 0);
    events_.connect(address);
}

bool peer_monitor_t::peer_seen() {
    std::vector<zmq::message_t> event;
    while (try_receive_message(events_, event))
        seen_ = true; // only handshake events are subscribed to
    return seen_;
}

wait_result peer_monitor_t::wait_for_peer(stop_signal_t& stop, deadline_t deadline) {
    while (!peer_seen()) {
        const wait_result waited = wait_for_socket(events_, ZMQ_POLLIN, stop, deadline);
        if (waited != wait_result::ready) return waited;
    }
    return wait_result::ready;
}

} // namespace zd::shell
