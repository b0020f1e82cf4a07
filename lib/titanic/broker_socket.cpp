#include "titanic/broker_socket.hpp"

namespace zd::titanic {

broker_sockets_t::broker_sockets_t(zmq::context_t& context, const socket_options_t& options,
                                   endpoint_list_t broker)
    : context_(context), options_(options), broker_(std::move(broker)) {
    options_.routing_id.reset(); // many sockets: never one identity for all
}

std::unique_ptr<zmq::socket_t> broker_sockets_t::open() const {
    auto socket = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
    options_.apply_to(*socket);
    attach(*socket, broker_, options_);
    return socket;
}

void close_now(std::unique_ptr<zmq::socket_t>& socket) {
    if (socket) socket->set(zmq::sockopt::linger, 0);
    socket.reset();
}

bool send_now(zmq::socket_t& socket, const std::string_view* frames, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
        const auto flags = i + 1 < count ? zmq::send_flags::sndmore | zmq::send_flags::dontwait
                                         : zmq::send_flags::dontwait;
        // Once the first frame is queued the rest always are (libzmq queues whole messages).
        if (!socket.send(zmq::const_buffer(frames[i].data(), frames[i].size()), flags))
            return false;
    }
    return true;
}

} // namespace zd::titanic
