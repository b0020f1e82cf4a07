// Message helpers with timeouts, a control client and a connection watch (see messages.hpp).
#include "messages.hpp"

#include <atomic>
#include <cstring>
#include <stdexcept>

namespace zd::test {

void send_multipart(zmq::socket_t& socket, const frames_t& frames) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const auto flags = i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
        if (!socket.send(zmq::buffer(frames[i]), flags))
            throw std::runtime_error("send would block (socket has a send timeout?)");
    }
}

bool readable_within(zmq::socket_t& socket, milliseconds timeout) {
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    return zmq::poll(&item, 1, timeout) > 0;
}

std::optional<frames_t> recv_multipart(zmq::socket_t& socket, milliseconds timeout) {
    if (!readable_within(socket, timeout)) return std::nullopt;
    frames_t frames;
    while (true) {
        zmq::message_t frame;
        // The rest of a message is delivered with its first frame: never blocks here.
        (void)socket.recv(frame);
        frames.push_back(frame.to_string());
        if (!frame.more()) return frames;
    }
}

frames_t control_request(zmq::context_t& context, const std::string& address,
                         const std::string& command, milliseconds timeout) {
    zmq::socket_t client(context, zmq::socket_type::req);
    client.set(zmq::sockopt::linger, 0);
    client.connect(address);
    send_multipart(client, {command});
    auto reply = recv_multipart(client, timeout);
    if (!reply)
        throw std::runtime_error("no reply to " + command + " from " + address + " within " +
                                 std::to_string(timeout.count()) + " ms");
    return *reply;
}

std::uint64_t frame_to_uint64(const std::string& frame) {
    if (frame.size() != sizeof(std::uint64_t))
        throw std::runtime_error("expected an 8-byte frame, got " + std::to_string(frame.size()));
    std::uint64_t value = 0;
    std::memcpy(&value, frame.data(), sizeof value);
    return value;
}

namespace {
std::string next_monitor_address() {
    static std::atomic<int> counter{0};
    return "inproc://zd-test-monitor-" + std::to_string(counter++);
}
} // namespace

connection_watch_t::connection_watch_t(zmq::context_t& context, zmq::socket_t& socket)
    : watched_(socket), events_(context, zmq::socket_type::pair) {
    const std::string address = next_monitor_address();
    if (zmq_socket_monitor(socket.handle(), address.c_str(), ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0)
        throw zmq::error_t();
    events_.set(zmq::sockopt::linger, 0);
    events_.connect(address);
}

connection_watch_t::~connection_watch_t() {
    zmq_socket_monitor(watched_.handle(), nullptr, 0);
}

bool connection_watch_t::wait_handshakes(int count, milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (handshakes_ < count) {
        const auto left =
            std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
        // Each event is two frames: [event id (16 bits), value (32 bits)], [endpoint].
        auto event = recv_multipart(events_, left.count() > 0 ? left : 0ms);
        if (!event) return false;
        std::uint16_t id = 0;
        std::memcpy(&id, (*event)[0].data(), sizeof id);
        if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) ++handshakes_;
    }
    return true;
}

} // namespace zd::test
