// Who sent a message, as the transport authenticated it: the ZAP User-Id (for CURVE, the
// client's public key in Z85) and the `name` metadata the ZAP handler attached (the
// certificate's name), read from the message's properties (docs/SECURITY.md, "Identity").
// A socket that does not authenticate carries no User-Id, so a server asks
// socket_authenticates() once at start and reads identities only then: a plain socket pays
// nothing per message.
#pragma once

#include <string>
#include <string_view>
#include <zmq.hpp>

namespace zd {

struct peer_identity_t {
    std::string_view user_id; // empty: not authenticated
    std::string_view name;    // empty: none given (or not authenticated)
    bool empty() const { return user_id.empty(); }
};

// Whether messages from this socket's peers can carry a User-Id: it serves CURVE (or PLAIN)
// or asks a ZAP handler (a ZAP domain is set). Read after the socket is bound, since the
// options are set per endpoint before each bind. Never throws.
bool socket_authenticates(zmq::socket_t& socket);

// The User-Id of the message that frame belongs to (any frame libzmq received from the peer;
// a ROUTER's routing id frame is made by the ROUTER and carries none), and with want_name
// its `name`. Views into the frame's metadata: valid while the frame lives. Never throws.
peer_identity_t peer_identity(zmq::message_t& frame, bool want_name = true);

// peer_identity for a server's stream of messages: the name is asked of libzmq only when the
// User-Id differs from the previous message's (a key's name is the same on all its messages),
// so a steady stream costs one zmq_msg_gets per message. The views stay valid until the
// next read(). Single-threaded.
class peer_identity_reader_t {
public:
    peer_identity_t read(zmq::message_t& frame);

private:
    std::string user_id_, name_; // the previous message's
};

} // namespace zd
