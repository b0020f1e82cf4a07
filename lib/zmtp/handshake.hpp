// The ZMTP 3.x handshake with the NULL mechanism (RFC 23/ZMTP, 37/ZMTP), as a byte-in,
// byte-out state machine with no socket of its own: send output(), feed() what the peer
// sends. Each side sends its greeting at once and its READY (Socket-Type, and Identity for
// a routing id) once the peer's greeting has arrived; the handshake is done when the peer's
// READY has arrived and its socket type may talk to ours. An ERROR command from the peer,
// another mechanism, an older ZMTP, or a socket type that does not match fails it.
#pragma once

#include "zmtp/command.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace zd::zmtp {

// Whether a socket of type ours may talk to a peer of type peer (names as in READY:
// "PUSH", "PULL", "PUB", "SUB", "XPUB", "XSUB", "REQ", "REP", "DEALER", "ROUTER", "PAIR").
bool socket_types_match(std::string_view ours, std::string_view peer);

class null_handshake_t {
public:
    // socket_type: ours, as READY names it. routing_id: sent as Identity if not empty.
    // Throws std::invalid_argument for an unknown socket type or a routing id over 255 bytes.
    explicit null_handshake_t(std::string socket_type, std::string routing_id = {});

    // Bytes waiting to be sent (the greeting at first, then READY). The caller erases what
    // it has written.
    std::string& output() { return output_; }

    // Takes bytes received from the peer and returns how many belonged to the handshake;
    // those after the peer's READY are left to the caller (they are the first traffic).
    // Takes nothing once done() or failed().
    std::size_t feed(std::string_view bytes);

    bool done() const { return stage_ == stage::done; }
    bool failed() const { return stage_ == stage::failed; }
    const std::string& error() const { return error_; } // why it failed

    // The peer's READY metadata and its ZMTP version, once done.
    const properties_t& peer_properties() const { return peer_properties_; }
    std::string_view peer_socket_type() const;
    int peer_minor_version() const { return peer_minor_; }

    // Largest READY (or ERROR) we accept: metadata is names and short values.
    static constexpr std::uint64_t max_command_body = 64 * 1024;

private:
    enum class stage { greeting, ready, done, failed };

    std::size_t feed_greeting(std::string_view bytes);
    std::size_t feed_ready(std::string_view bytes);
    void on_command(std::string_view body);
    void fail(std::string why);

    std::string socket_type_;
    std::string routing_id_;
    stage stage_ = stage::greeting;
    std::string output_;
    std::string pending_; // the part of the greeting or READY received so far
    properties_t peer_properties_;
    int peer_minor_ = 0;
    std::string error_;
};

} // namespace zd::zmtp
