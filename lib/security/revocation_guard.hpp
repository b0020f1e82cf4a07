// Revocation for connections already open (issue 14): libzmq asks the ZAP handler only at a
// handshake, so a key removed from the allow-list keeps its open connections (FACTS.md). A
// device that reads from a CURVE side asks the guard about each message's first frame:
//
//   - a message whose User-Id is no longer allowed is dropped (counted; on a ROUTER, whose
//     first frame does not say who sent it, the message passes), and its connection
//     is cut at once: the guard shuts down the socket the frame came from (ZMQ_SRCFD), libzmq
//     sees the connection end, and the peer's reconnection is refused by the handler;
//   - the connections seen so far are remembered (file descriptor, peer address, User-Id), so
//     that when the allow-list changes (the handler's generation), every remembered connection
//     of a removed key is cut within one check (cut_revoked(), from the device's loop), also
//     one that only receives from now on.
//
// A connection that has sent nothing since it opened is not known: a PULL consumer of a
// streamer, which never sends, keeps receiving until it reconnects (docs/SECURITY.md).
// Before cutting a remembered descriptor the guard checks that it still leads to the same peer
// address, so a descriptor number reused by another connection is never cut by mistake.
#pragma once

#include "base/message_gate.hpp"
#include "security/zap_handler.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <zmq.h>

namespace zd::security {

class revocation_guard_t final : public message_gate_t {
public:
    // For the sockets of one ZAP domain (a device side); the handler must outlive the guard.
    revocation_guard_t(const zap_handler_t& handler, std::string domain);

    // Whether the message this first frame starts may pass; false: drop it (counted here),
    // its connection has been cut.
    bool admits(zmq_msg_t& first_frame) override;
    void next_frame(zmq_msg_t& frame) override;
    void check() override { cut_revoked(); }

    // After an allow-list change, cuts every remembered connection of a key no longer allowed.
    // Cheap when nothing changed (one atomic load). Returns how many it cut.
    int cut_revoked();

    std::uint64_t messages_dropped() const { return messages_dropped_; }
    std::uint64_t connections_cut() const { return connections_cut_; }

private:
    struct connection_t {
        std::string user_id;
        std::string peer; // getpeername's address and port when first seen
    };
    void cut(int fd);
    // Remembers the connection a message came from; cuts it if its key is not allowed.
    void learn(int fd, const std::string& user_id, bool allowed);

    zap_allow_cache_t allowed_;
    std::unordered_map<int, connection_t> connections_; // by file descriptor
    // A message whose first frame named no connection (a ROUTER's routing id): its User-Id
    // ("" if not known yet) and verdict, until a later frame names the connection.
    std::optional<std::pair<std::string, bool>> pending_;
    std::uint64_t messages_dropped_ = 0;
    std::uint64_t connections_cut_ = 0;
};

} // namespace zd::security
