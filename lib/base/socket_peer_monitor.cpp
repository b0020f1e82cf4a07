#include "base/socket_peer_monitor.hpp"

#include "base/log.hpp"
#include "base/message_io.hpp"

#include <cstring>

namespace zd {

bool decode_peer_event(const zmq::message_t& event, const zmq::message_t& endpoint,
                       std::size_t side, peer_event_t& decoded) {
    if (event.size() != 6) return false;
    std::uint16_t number = 0;
    std::uint32_t value = 0;
    std::memcpy(&number, event.data(), sizeof number);
    std::memcpy(&value, static_cast<const char*>(event.data()) + 2, sizeof value);
    decoded = peer_event_t{peer_event_t::kind_t::connected, side, 0, {}, endpoint.to_string()};
    switch (number) {
    case ZMQ_EVENT_ACCEPTED:
    case ZMQ_EVENT_CONNECTED:
        decoded.id = value; // the descriptor
        decoded.address = peer_address_of(int(value));
        return true;
    case ZMQ_EVENT_DISCONNECTED:
        decoded.kind = peer_event_t::kind_t::disconnected;
        decoded.id = value;
        return true;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        decoded.kind = peer_event_t::kind_t::handshake_failed;
        return true;
    default:
        return false;
    }
}

namespace {

std::string next_inproc_address(const char* what) {
    static std::atomic<unsigned> counter{0};
    return std::string("inproc://zd-") + what + "-" + std::to_string(counter++);
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
    if (zmq_socket_monitor(socket.handle(), address.c_str(), peer_monitor_events) != 0)
        throw zmq::error_t();
    // Connect at once: libzmq's end of a monitor blocks its sender (an I/O thread) while no
    // peer is connected, so the window before the thread runs must not depend on it.
    zmq::socket_t monitor(context_, zmq::socket_type::pair);
    monitor.set(zmq::sockopt::linger, 0);
    monitor.connect(address);
    watched_.push_back(watched_t{&socket, std::move(monitor), side});
}

void socket_peer_monitor_t::forget_closed(const zmq::socket_t* socket) {
    std::erase_if(watched_,
                  [socket](const watched_t& watched) { return watched.socket == socket; });
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
            peer_event_t peer;
            if (frames.size() != 2 ||
                !decode_peer_event(frames[0], frames[1], watched_[index].side, peer))
                continue;
            listener_(peer);
        }
    }
}

} // namespace zd
