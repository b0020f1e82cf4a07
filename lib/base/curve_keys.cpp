#include "base/curve_keys.hpp"

#include <stdexcept>
#include <zmq.hpp>

// Declared by zmq.h only under the draft API, which Debian's libzmq 4.3.4 is built without;
// the stable library implements it (docs/SECURITY.md).
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

namespace zd {

void set_curve_role(zmq::socket_t& socket, const curve_keys_t& keys, attach_mode mode) {
    socket.set(zmq::sockopt::curve_publickey, keys.public_key);
    socket.set(zmq::sockopt::curve_secretkey, keys.secret_key);
    if (mode == attach_mode::bind) {
        socket.set(zmq::sockopt::curve_server, 1);
        return;
    }
    if (keys.server_key.empty())
        throw std::invalid_argument("a CURVE socket that connects needs the server's public key "
                                    "(--curve-server-key)");
    socket.set(zmq::sockopt::curve_server, 0);
    socket.set(zmq::sockopt::curve_serverkey, keys.server_key);
}

void require_zap_domain(zmq::socket_t& socket, const std::string& domain) {
    socket.set(zmq::sockopt::zap_domain, domain);
    const int enforce = 1;
    if (zmq_setsockopt(socket.handle(), ZMQ_ZAP_ENFORCE_DOMAIN, &enforce, sizeof enforce) != 0)
        throw zmq::error_t();
}

} // namespace zd
