#include "base/socket_options.hpp"

#include <zmq.hpp>

namespace zd {

void socket_options_t::apply_to(zmq::socket_t& socket) const {
    socket.set(zmq::sockopt::sndhwm, send_hwm);
    socket.set(zmq::sockopt::rcvhwm, receive_hwm);
    socket.set(zmq::sockopt::linger, linger_ms);
    if (immediate) socket.set(zmq::sockopt::immediate, 1);
    if (tcp_keepalive) socket.set(zmq::sockopt::tcp_keepalive, 1);
    if (heartbeat_interval_ms > 0) socket.set(zmq::sockopt::heartbeat_ivl, heartbeat_interval_ms);
    if (heartbeat_timeout_ms > 0) socket.set(zmq::sockopt::heartbeat_timeout, heartbeat_timeout_ms);
    if (heartbeat_ttl_ms > 0) socket.set(zmq::sockopt::heartbeat_ttl, heartbeat_ttl_ms);
    if (max_message_size >= 0) socket.set(zmq::sockopt::maxmsgsize, int64_t(max_message_size));
    if (routing_id) socket.set(zmq::sockopt::routing_id, *routing_id);
}

void socket_options_t::prepare_endpoint(zmq::socket_t& socket, attach_mode mode) const {
    if (curve) set_curve_role(socket, *curve, mode);
    if (mode == attach_mode::bind && !zap_domain.empty()) require_zap_domain(socket, zap_domain);
}

endpoint_list_t attach(zmq::socket_t& socket, const endpoint_list_t& endpoints,
                       const socket_options_t& options) {
    endpoint_list_t attached;
    for (const auto& endpoint : endpoints) {
        options.prepare_endpoint(socket, endpoint.mode);
        const auto one = attach(socket, endpoint_list_t{endpoint});
        attached.insert(attached.end(), one.begin(), one.end());
    }
    return attached;
}

} // namespace zd
