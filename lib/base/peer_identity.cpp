#include "base/peer_identity.hpp"

namespace zd {

bool socket_authenticates(zmq::socket_t& socket) {
    int mechanism = ZMQ_NULL;
    std::size_t size = sizeof mechanism;
    if (zmq_getsockopt(socket.handle(), ZMQ_MECHANISM, &mechanism, &size) == 0 &&
        mechanism != ZMQ_NULL)
        return true;
    char domain[256];
    size = sizeof domain;
    return zmq_getsockopt(socket.handle(), ZMQ_ZAP_DOMAIN, domain, &size) == 0 && size > 1;
}

peer_identity_t peer_identity(zmq::message_t& frame, bool want_name) {
    peer_identity_t identity;
    zmq_msg_t* message = frame.handle();
    const char* user_id = zmq_msg_gets(message, "User-Id");
    if (!user_id || !*user_id) return identity;
    identity.user_id = user_id;
    if (want_name)
        if (const char* name = zmq_msg_gets(message, "name")) identity.name = name;
    return identity;
}

peer_identity_t peer_identity_reader_t::read(zmq::message_t& frame) {
    const peer_identity_t fresh = peer_identity(frame, false);
    if (fresh.empty()) return fresh;
    if (fresh.user_id != user_id_) {
        user_id_ = fresh.user_id;
        const char* name = zmq_msg_gets(frame.handle(), "name");
        name_ = name ? name : "";
    }
    return {user_id_, name_};
}

} // namespace zd
