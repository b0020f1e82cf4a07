#include "shell/peer_monitor.hpp"

#include <atomic>
#include <cstdint>
#include <cstring>
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
    constexpr int events = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                           ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                           ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
    if (zmq_socket_monitor(socket.handle(), address.c_str(), events) != 0) throw zmq::error_t();
    events_.set(zmq::sockopt::linger, 0);
    events_.connect(address);
}

namespace {

// What a failed handshake event means, for the operator (the value is the ZAP status code,
// the ZMTP protocol error or errno, by event).
std::string describe_failure(std::uint16_t event, std::uint32_t value) {
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        return "the server refused our credentials (ZAP status " + std::to_string(value) +
               "): is our --curve-cert's public key in its allow-list, and our address allowed?";
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
        value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        return "the peer speaks another security mechanism: CURVE on one side only (give "
               "--curve-cert and --curve-server-key, or leave them out, as the peer does)";
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        return "the handshake broke the protocol (ZMTP error " + std::to_string(value) + ")";
    // A CURVE server closes on a plain-text client and on a HELLO it cannot decrypt alike.
    return "the peer broke off the handshake: it may require CURVE (--curve-cert and "
           "--curve-server-key), or --curve-server-key is not its public certificate";
}

} // namespace

void peer_monitor_t::read_events() {
    std::vector<zmq::message_t> event;
    while (try_receive_message(events_, event)) {
        // The first frame: the event (16 bits) and its value (32 bits), native-endian.
        if (event.empty() || event[0].size() < 6) continue;
        std::uint16_t id = 0;
        std::uint32_t value = 0;
        std::memcpy(&id, event[0].data(), sizeof id);
        std::memcpy(&value, static_cast<const char*>(event[0].data()) + sizeof id, sizeof value);
        if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            seen_ = true;
            failure_.reset();
        } else {
            failure_ = describe_failure(id, value);
        }
    }
}

bool peer_monitor_t::peer_seen() {
    read_events();
    return seen_;
}

std::optional<std::string> peer_monitor_t::handshake_failure() {
    read_events();
    return failure_;
}

wait_result peer_monitor_t::wait_for_peer(stop_signal_t& stop, deadline_t deadline) {
    while (!peer_seen()) {
        const wait_result waited = wait_for_socket(events_, ZMQ_POLLIN, stop, deadline);
        if (waited != wait_result::ready) return waited;
    }
    return wait_result::ready;
}

} // namespace zd::shell
