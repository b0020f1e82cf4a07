// What a socket needs for CURVE (RFC 26), as plain Z85 text: the keys come from certificate
// files (lib/security reads them, the command line checks them), and who may connect is
// decided by the process's ZAP handler (lib/security), consulted for the socket's ZAP
// domain (socket_options_t::zap_domain). A socket takes its CURVE role per endpoint: it serves on
// the endpoints it binds and is a client of server_key on those it connects (libzmq copies the
// options into each endpoint when it is bound or connected, so one socket can be both).
#pragma once

#include "base/endpoints.hpp"

#include <string>

namespace zmq {
class socket_t;
}

namespace zd {

struct curve_keys_t {
    std::string public_key; // ours (Z85, 40 characters)
    std::string secret_key; // ours
    std::string server_key; // for connected endpoints: the server's public key (may be empty
                            // where the side connects nowhere)
};

// Sets the CURVE options for an endpoint of the given mode: a server, or a client of
// keys.server_key. Throws std::invalid_argument when a connected endpoint has no server key,
// zmq::error_t if libzmq refuses a key. A server must also require ZAP (require_zap_domain).
void set_curve_role(zmq::socket_t& socket, const curve_keys_t& keys, attach_mode mode);

// Makes libzmq ask the ZAP handler about every handshake on the endpoints bound from now on,
// for domain, and refuse every peer when no handler answers (ZMQ_ZAP_ENFORCE_DOMAIN: without
// it libzmq 4.3.4 lets any CURVE key in when no handler is bound).
void require_zap_domain(zmq::socket_t& socket, const std::string& domain);

} // namespace zd
