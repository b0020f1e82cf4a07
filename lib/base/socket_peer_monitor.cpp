#include "base/socket_peer_monitor.hpp"

#include "base/log.hpp"
#include "base/message_io.hpp"

#include <cstring>

namespace zd {

namespace {

std::string next_inproc_address(const char* what) {
    static std::atomic<unsigned> counter{0};
    return std::string("inproc://zd-") + what + "-" + std::to_string(counter++);
}

constexpr int monitored_events = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED |
                                 ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                                 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;

// The monitor's two frames: [event number (uint16) | value (uint32)], [our endpoint].
bool parse_monitor_event(const std::vector<zmq::message_t>& frames, std::uint16_t& event,
                         std::uint32_t& value, std::string& endpoint) {
    if (frames.size() != 2 || frames[0].size() != 6) return false;
    std::memcpy(&event, frames[0].data(), sizeof event);
    std::memcpy(&value, static_cast<const char*>(frames[0].data()) + 2, sizeof value);
    endpoint = frames[1].to_string();
    return true;
}

} // namespace

socket_peer_monitor_t::socket_peer_monitor_t(zmq::context_t& context, peer_listener_t listener)
    : context_(context), listener_(std::move(listener)),
      stop_address_(next_inproc_address("peer-monitor-stop")),
      stop_(context, zmq::socket_type::pair) {
    stop_.set(zmq::sockopt::linger, 0);
    stop_.bind(stop_address_);
}

socket_peer_monitor_t::~socket_peer_monitor_t() {
    for (watched_t& watched : watched_)
        zmq_socket_monitor(watched.socket->handle(), nullptr, 0);
    if (!thread_.joinable()) return;
    stop_.send(zmq::message_t(), zmq::send_flags::none);
    thread_.join();
}

void socket_peer_monitor_t::watch(zmq::socket_t& socket, std::size_t side) {
    const std::string address = next_inproc_address("peer-monitor");
    if (zmq_socket_monitor(socket.handle(), address.c_str(), monitored_events) != 0)
        throw zmq::error_t();
    // Connect at once: libzmq's end of a monitor blocks its sender (an I/O thread) while no
    // peer is connected, so the window before the thread runs must not depend on it.
    zmq::socket_t monitor(context_, zmq::socket_type::pair);
    monitor.set(zmq::sockopt::linger, 0);
    monitor.connect(address);
    watched_.push_back(watched_t{&socket, std::move(monitor), side});
}

void socket_peer_monitor_t::start() {
    // The sockets move to the thread (its start is the memory barrier libzmq asks for when
    // a socket changes threads) and are used there alone from now on.
    thread_ = std::thread([this] { run(); });
}

void socket_peer_monitor_t::run() {
    std::vector<zmq_pollitem_t> items;
    zmq::socket_t stop(context_, zmq::socket_type::pair);
    stop.set(zmq::sockopt::linger, 0);
    stop.connect(stop_address_);
    items.push_back({stop.handle(), 0, ZMQ_POLLIN, 0});
    for (watched_t& watched : watched_)
        items.push_back({watched.monitor.handle(), 0, ZMQ_POLLIN, 0});
    std::vector<zmq::message_t> frames;
    while (true) {
        if (zmq_poll(items.data(), int(items.size()), -1) < 0) {
            if (zmq_errno() == EINTR) continue;
            log::error(std::string("peer monitor: poll failed: ") + zmq_strerror(zmq_errno()));
            return;
        }
        if (items[0].revents & ZMQ_POLLIN) return;
        for (std::size_t index = 0; index < watched_.size(); ++index) {
            if (!(items[index + 1].revents & ZMQ_POLLIN)) continue;
            if (receive_message(watched_[index].monitor, frames, 2) != received::message) continue;
            std::uint16_t event = 0;
            std::uint32_t value = 0;
            peer_event_t peer{peer_event_t::kind_t::connected, watched_[index].side, 0, {}, {}};
            if (!parse_monitor_event(frames, event, value, peer.endpoint)) continue;
            switch (event) {
            case ZMQ_EVENT_ACCEPTED:
            case ZMQ_EVENT_CONNECTED:
                peer.id = value;
                peer.address = peer_address_of(int(value));
                break;
            case ZMQ_EVENT_DISCONNECTED:
                peer.kind = peer_event_t::kind_t::disconnected;
                peer.id = value;
                break;
            default: // the three handshake failures
                peer.kind = peer_event_t::kind_t::handshake_failed;
                break;
            }
            listener_(peer);
        }
    }
}

} // namespace zd
