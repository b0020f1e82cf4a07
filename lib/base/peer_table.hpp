// Who is connected to a device, per side: what an operator asks first ("is anybody there?").
// Both engines feed it: the native engine from its own accepts and closes (with the peer's
// address), libzmq devices from socket monitor events (socket_peer_monitor.hpp). STATS shows
// it as a "peers" object. Thread-safe: the libzmq monitors run on their own thread while the
// device's loop writes STATS.
#pragma once

#include "base/peer_event.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace zd {

class json_writer_t;

// One side's numbers. Connections count transport connections (a TCP or ipc connection),
// including ones whose ZMTP handshake has not finished yet.
struct peer_counts_t {
    std::uint64_t connected = 0;            // open now
    std::uint64_t connections = 0;          // ever opened
    std::uint64_t disconnections = 0;       // ever closed
    std::uint64_t handshake_failures = 0;   // ZMTP handshakes that failed (bad greeting, ...)
    std::uint64_t oversize_disconnects = 0; // cut for a message over --max-msg-size (native)
    std::uint64_t protocol_errors = 0;      // cut for breaking ZMTP after the handshake (native)
};

class peer_table_t {
public:
    // The most addresses STATS lists per side; the rest are counted, not listed.
    static constexpr std::size_t max_listed_addresses = 100;

    // sides: the names STATS uses, in order (e.g. {"frontend", "backend"}).
    explicit peer_table_t(std::vector<std::string> sides);

    // The index of a side by name; throws std::invalid_argument for an unknown name.
    std::size_t side(std::string_view name) const;

    // A connection opened: id is unique among the side's open connections (a descriptor, a
    // pointer); address is the peer's ("127.0.0.1:40312", "ipc peer"), empty if unknown. An
    // id already open is replaced (a monitor event lost in between).
    void connected(std::size_t side, std::uint64_t id, std::string address);
    // A connection closed; an id not open is ignored.
    void disconnected(std::size_t side, std::uint64_t id);
    void handshake_failed(std::size_t side);
    // The device cut a peer for an oversized message (its disconnected comes apart).
    void oversized(std::size_t side);
    // The device cut a peer for breaking ZMTP after its handshake.
    void protocol_error(std::size_t side);
    // One of the five above, as an event says.
    void record(const peer_event_t& event);

    peer_counts_t counts(std::size_t side) const;
    const std::string& side_name(std::size_t side) const { return sides_.at(side).name; }

    // Writes "peers": {"<side>": {"connected": N, "connections": ..., "addresses": [...],
    // "addresses_not_listed": K}, ...} as the next member of the object json is in.
    void write_json(json_writer_t& json) const;

private:
    struct side_t {
        std::string name;
        peer_counts_t counts;
        std::map<std::uint64_t, std::string> open; // id -> address
    };

    mutable std::mutex mutex_;
    std::vector<side_t> sides_;
};

} // namespace zd
