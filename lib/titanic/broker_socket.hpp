// The DEALER sockets Titanic opens to the broker, for its worker links and its dispatch
// slots alike: every one new (a reconnect or a timed-out dispatch gets a fresh identity, so a
// late message for the old one never arrives), and sends that never block the loop.
#pragma once

#include "base/endpoints.hpp"
#include "base/socket_options.hpp"

#include <cstddef>
#include <memory>
#include <string_view>
#include <zmq.hpp>

namespace zd::titanic {

class broker_sockets_t {
public:
    broker_sockets_t(zmq::context_t& context, const socket_options_t& options,
                     endpoint_list_t broker);

    // A new DEALER connected to the broker. Throws zmq::error_t on a bad endpoint.
    std::unique_ptr<zmq::socket_t> open() const;
    const endpoint_list_t& broker() const { return broker_; }

private:
    zmq::context_t& context_;
    socket_options_t options_;
    endpoint_list_t broker_;
};

// Closes socket at once (linger 0): what it still holds is for a connection given up on.
void close_now(std::unique_ptr<zmq::socket_t>& socket);

// Sends frames as one message without blocking. False if the socket's queue is full (the
// peer then never sees this message; MDP peers retry).
bool send_now(zmq::socket_t& socket, const std::string_view* frames, std::size_t count);

inline std::string_view view(const zmq::message_t& frame) {
    return {static_cast<const char*>(frame.data()), frame.size()};
}

} // namespace zd::titanic
