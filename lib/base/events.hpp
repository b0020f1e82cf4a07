// Events: what a device tells anyone listening as it happens, on a PUB socket (--events):
// peers connected and disconnected, handshakes that failed, the device started, paused,
// resumed and stopping. Each event is two frames, [kind][JSON object], so a subscriber picks
// kinds by prefix (`zd-recv --subscribe disconnected`). CZMQ's zmonitor is the model; ours
// covers every device and both engines. See docs/ARCHITECTURE.md, "Events".
//
// One publisher per process, reachable from anywhere as events::emit() — like the log, and
// for the same reason: whoever notices something (the control protocol, a monitor thread,
// the native engine's loop) tells it without being handed a socket. Without --events,
// emit() costs a relaxed atomic load. Thread-safe: the PUB socket is used under a mutex, so
// its use from several threads is serialised as libzmq asks. A subscriber too slow to keep up
// misses events at its high-water mark, as with any PUB socket; the device never waits.
#pragma once

#include "base/endpoints.hpp"
#include "base/peer_event.hpp"
#include "base/socket_options.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <zmq.hpp>

namespace zd {

class json_writer_t;

namespace events {

// Writes an event's own members into its JSON object (after the common ones).
using fields_t = std::function<void(json_writer_t&)>;

// Publishes an event of this kind if a publisher exists; does nothing otherwise. Never
// throws and never blocks: PUB drops for subscribers at their high-water mark (counted).
void emit(std::string_view kind, const fields_t& fields = {});

// Whether a publisher exists (to skip building fields nobody will see).
bool enabled();

// A peer event as an event: kind "connected", "disconnected", "handshake_failed",
// "oversized" or "protocol_error", with the side's name, the peer's address and our endpoint when
// known.
void emit_peer(const peer_event_t& event, std::string_view side_name);

// The publisher of this process. Creating it binds/connects the PUB socket and makes it the
// one emit() uses; destroying it publishes "stopping" and unregisters it. At most one
// exists at a time.
class publisher_t {
public:
    // device: the program's name, in every event. Throws std::runtime_error for an endpoint
    // that cannot be attached, std::logic_error if another publisher exists.
    publisher_t(zmq::context_t& context, const endpoint_list_t& endpoints,
                const socket_options_t& options, std::string device);
    ~publisher_t();
    publisher_t(const publisher_t&) = delete;
    publisher_t& operator=(const publisher_t&) = delete;

    const endpoint_list_t& endpoints() const { return endpoints_; }

    // Events sent, and events the socket refused (it was closing): counted for STATS.
    std::uint64_t published() const;
    std::uint64_t dropped() const;

private:
    friend void emit(std::string_view kind, const fields_t& fields);
    void publish(std::string_view kind, const fields_t& fields); // under the registry lock

    zmq::socket_t socket_;
    endpoint_list_t endpoints_;
    std::string device_;
    std::uint64_t published_ = 0;
    std::uint64_t dropped_ = 0;
};

// The publisher for a device's --events text: none if the text is empty, else one attached
// to its endpoints (bare endpoints bind). Throws as publisher_t does, endpoint_error for bad
// text.
std::unique_ptr<publisher_t> start_publisher(zmq::context_t& context, std::string_view endpoints,
                                             const socket_options_t& options, std::string device);

// " events=@tcp://..." for a ready line, or "" without a publisher.
std::string ready_field(const publisher_t* publisher);

} // namespace events
} // namespace zd
