// A peer came, went, failed its handshake, or was cut for an oversized message: what both engines
// report about connections, for the peer table (STATS) and, later, the --events publisher.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace zd {

struct peer_event_t {
    // oversized: the device cut the peer for a message over --max-msg-size; protocol_error:
    // for breaking ZMTP after the handshake (the native engine only: libzmq reports both as
    // a plain disconnection); a disconnected follows.
    enum class kind_t { connected, disconnected, handshake_failed, oversized, protocol_error };
    kind_t kind = kind_t::connected;
    std::size_t side = 0; // index into the device's sides (peer_table_t's order)
    std::uint64_t id = 0; // unique among the side's open connections (descriptor, ...)
    std::string address;  // the peer's, "127.0.0.1:40312"; empty if unknown
    std::string endpoint; // ours it came through, "tcp://127.0.0.1:5555"; may be empty
};

// Called for every event; on whichever thread saw it (the monitor thread for libzmq
// sockets, the device's loop for the native engine), so it must be thread-safe.
using peer_listener_t = std::function<void(const peer_event_t&)>;

// The peer's address of a connected socket descriptor, "1.2.3.4:5" / "[::1]:5" for tcp,
// "" where the transport has none to tell (an unnamed ipc client) or fd is not a socket.
std::string peer_address_of(int fd);

// The peer-event kinds as the STATS and events documents name them.
const char* to_string(peer_event_t::kind_t kind);

} // namespace zd
