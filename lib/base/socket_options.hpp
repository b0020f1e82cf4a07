// Socket options in one place, applied the same way by every device and tool.
// Each field left unset keeps libzmq's default, except linger, which is always bounded
// so that shutting down never hangs on a peer that stopped reading.
#pragma once

#include "base/curve_keys.hpp"
#include "base/endpoints.hpp"

#include <optional>
#include <string>

namespace zmq {
class socket_t;
}

namespace zd {

struct socket_options_t {
    int send_hwm = 1000;                   // messages queued per peer before the mark
    int receive_hwm = 1000;                // (libzmq's default); see ARCHITECTURE.md
    int linger_ms = 500;                   // bounded: pending messages dropped after this
    bool immediate = false;                // ZMQ_IMMEDIATE: queue only to completed connections
    bool tcp_keepalive = false;            // ZMQ_TCP_KEEPALIVE with the kernel's timings
    int heartbeat_interval_ms = 0;         // ZMTP PING every interval; 0 = off
    int heartbeat_timeout_ms = 0;          // drop the peer after this with no traffic
    int heartbeat_ttl_ms = 0;              // ask the peer to drop us after this
    long long max_message_size = -1;       // ZMQ_MAXMSGSIZE; larger drops the peer; -1 = any
    std::optional<std::string> routing_id; // ZMQ_ROUTING_ID for connecting sockets
    std::optional<curve_keys_t> curve;     // CURVE on tcp and ipc endpoints; none = NULL
    std::string zap_domain; // bound endpoints ask the ZAP handler (enforced); "" = no ZAP

    // Applies every option to the socket. Throws zmq::error_t if libzmq refuses a value.
    // Call before bind/connect: libzmq applies most options only to later connections.
    void apply_to(zmq::socket_t& socket) const;

    // Sets what differs by endpoint (CURVE's role, ZAP on bound ones) before the socket binds
    // or connects it.
    void prepare_endpoint(zmq::socket_t& socket, attach_mode mode) const;
};

// Binds and connects the socket to every endpoint (attach in base/endpoints.hpp), each after
// options.prepare_endpoint: how every device and tool attaches a data socket.
endpoint_list_t attach(zmq::socket_t& socket, const endpoint_list_t& endpoints,
                       const socket_options_t& options);

} // namespace zd
