// Did this socket ever reach a peer? libzmq queues messages for a connecting socket before
// any connection exists and, at close, throws them away silently once linger expires. A tool
// that exits 0 after `zd-send tcp://typo:5557 hello` would lie, so zd-send watches for a
// completed ZMTP handshake (socket monitor) and reports when none ever happened. A handshake
// that failed (CURVE refused, one side without CURVE) is kept too, so that the tool can say
// why no peer ever arrived.
#pragma once

#include "shell/tool_io.hpp"

#include <optional>
#include <string>
#include <zmq.hpp>

namespace zd::shell {

class peer_monitor_t {
public:
    // Starts monitoring socket for completed and failed handshakes. Call before the socket
    // attaches, so that no handshake is missed. Throws zmq::error_t if libzmq refuses.
    peer_monitor_t(zmq::context_t& context, zmq::socket_t& socket);

    // True once a handshake with any peer has completed (reads pending events).
    bool peer_seen();

    // Waits until a handshake completes, a stop signal arrives or the deadline passes.
    wait_result wait_for_peer(stop_signal_t& stop, deadline_t deadline);

    // Why the last handshake failed, in words that point at the fix ("the server refused our
    // CURVE key (ZAP status 400): ..."), or nothing if none failed or one completed since
    // (reads pending events).
    std::optional<std::string> handshake_failure();

private:
    void read_events();

    zmq::socket_t events_; // PAIR receiving the monitor's event messages
    bool seen_ = false;
    std::optional<std::string> failure_; // the last failed handshake, until one succeeds
};

} // namespace zd::shell
