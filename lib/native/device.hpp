// The native engine's device loop: a device that speaks ZMTP 3.x itself (lib/zmtp) to its
// peers, in one thread, one poll loop, with no libzmq socket on the data path (the control
// and capture sockets stay libzmq's). This file owns the sockets and the loop: listeners,
// connectors that reconnect, every peer's connection, the control socket, the stop signal,
// pause and the bounded linger. What a device does with the messages (the streamer's round
// robin, the forwarder's subscriptions) is a native_routing_t (native/streamer.hpp,
// native/forwarder.hpp, native/queue.hpp). See docs/ARCHITECTURE.md, "The native engine".
#pragma once

#include "base/control.hpp"
#include "base/counters.hpp"
#include "base/peer_event.hpp"
#include "base/socket_options.hpp"
#include "base/waiting_report.hpp"
#include "zmtp/connection.hpp"
#include "zmtp/connector.hpp"
#include "zmtp/listener.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

namespace zd {

class stop_signal_t;

// Why the native engine cannot serve these endpoints and options, or "" if it can.
std::string native_engine_unsupported(const device_description_t& description,
                                      const socket_options_t& options);

// The bytes of a message: the sum of its frames' sizes (what the counters count).
std::uint64_t message_bytes(const std::vector<std::string_view>& frames);

// What a routing keeps per peer (a subscriber's subscriptions, ...).
struct native_peer_extension_t {
    virtual ~native_peer_extension_t() = default;
};

struct native_peer_t {
    std::unique_ptr<zmtp::connection_t> connection;
    zmtp::connector_t* connector = nullptr; // reconnects when this peer is gone; null if accepted
    std::chrono::steady_clock::time_point opened; // when the connection was made (handshake)
    bool announced = false;                       // the routing was told it is ready
    bool held = false; // set by the routing: do not read it (back-pressure)
    // Who it is, for STATS: its address ("127.0.0.1:40312"), or "ipc #N" for an ipc peer,
    // which has none (N: the side's Nth connection), so that names are unique per side.
    std::string address;
    // Whole messages the routing read from it and queued to it (not commands, not
    // subscriptions): what zd-queue's STATS says per worker.
    std::uint64_t messages_received = 0;
    std::uint64_t messages_sent = 0;
    std::unique_ptr<native_peer_extension_t> extension;
};

struct native_side_t {
    const char* name;        // "frontend"
    std::string socket_type; // ours, as READY names it
    std::vector<std::unique_ptr<zmtp::listener_t>> listeners;
    std::vector<std::unique_ptr<zmtp::connector_t>> connectors;
    std::vector<std::unique_ptr<native_peer_t>> peers;
    std::uint64_t connections = 0; // ever opened: numbers the ipc peers' names
};

// Round robin over a side's peers that have finished their handshake and hold fewer than
// mark messages not yet written: where a PUSH or DEALER sends next.
class native_round_robin_t {
public:
    static constexpr std::size_t none = std::size_t(-1);

    // The index of the next such peer, or none. Does not move on: advance_past() does, once
    // a message went to it.
    std::size_t pick(const native_side_t& side, std::size_t mark) const;
    void advance_past(std::size_t index) { next_ = index + 1; }

private:
    std::size_t next_ = 0;
};

// Calls visit(peer) for every ready peer of a side, starting one further on each call:
// how a PULL or ROUTER fair-queues its input.
class native_fair_queue_t {
public:
    template <typename Visit>
    void visit(native_side_t& side, Visit visit) {
        const std::size_t count = side.peers.size();
        for (std::size_t turn = 0; turn < count; ++turn) {
            native_peer_t& peer = *side.peers[(next_ + turn) % count];
            if (peer.announced && !peer.connection->broken()) visit(peer);
        }
        if (count > 0) next_ = (next_ + 1) % count;
    }

private:
    std::size_t next_ = 0;
};

// Whether a peer of the side is held and not broken (a routing waits to read it).
bool any_held(const native_side_t& side);

class native_device_t;

// Moves every whole message `from` has buffered to the peers of `to`, round robin under the
// device's mark, counting them in `way` and copying them to the capture socket; each goes
// behind `envelope` if that is not empty (the queue's routing id). When no peer has room,
// `from` is held (not read) until one has: back-pressure, nothing dropped. frames is
// scratch space.
void relay_round_robin(native_device_t& device, native_peer_t& from, native_side_t& to,
                       native_round_robin_t& round_robin, direction_counters_t& way,
                       std::string_view envelope, std::vector<std::string_view>& frames);

// What a device does with its peers' traffic. The loop calls it; it reads and queues
// messages through the peers' connections.
class native_routing_t {
public:
    virtual ~native_routing_t() = default;
    // A peer finished its handshake (after this, it can be sent to).
    virtual void peer_ready(native_side_t& side, native_peer_t& peer) = 0;
    // A peer's connection broke; it is removed after this.
    virtual void peer_gone(native_side_t& side, native_peer_t& peer) = 0;
    // Moves what the peers have buffered; called every turn of the loop, also while paused
    // (the routing then forwards nothing but may drain what it must, like commands).
    virtual void forward() = 0;
    // After forward() and the writes that follow: whether forward() has more to do at once
    // (a held producer and a consumer with room again).
    virtual bool forward_again() const = 0;
    // Writes the routing's own STATS members, if any (zd-queue's workers), as the next
    // members of the object json is in.
    virtual void write_stats(json_writer_t&) const {}
};

// STATS shows what the device queued and has not yet written, per side: "queued":
// {"frontend": {"queued_messages": N, "queued_bytes": B}, ...}, summed over the side's
// connections; then the routing's own members.
class native_device_t final : private waiting_report_t {
public:
    // Binds every endpoint of both sides of the description that binds (connecting ones
    // connect when run() starts); its endpoints then read as attached (wildcard ports
    // resolved). The description must outlive the device: STATS shows it. Throws
    // std::runtime_error for an endpoint that cannot be bound, std::invalid_argument for what
    // native_engine_unsupported refuses.
    native_device_t(device_description_t& description, const socket_options_t& options,
                    std::string frontend_type, std::string backend_type);
    ~native_device_t();
    native_device_t(const native_device_t&) = delete;
    native_device_t& operator=(const native_device_t&) = delete;

    native_side_t& frontend() { return frontend_; }
    native_side_t& backend() { return backend_; }
    proxy_counters_t& counters() { return counters_; }
    const socket_options_t& options() const { return options_; }
    bool paused() const { return paused_; }
    // --hwm as a count of messages queued per peer: the most a peer may hold (0 = no mark).
    std::size_t send_mark() const;

    // Tells listener of every peer that connects, leaves or fails its handshake (sides:
    // 0 frontend, 1 backend), on the device's thread. Call before run().
    void set_peer_listener(peer_listener_t listener) { peer_listener_ = std::move(listener); }

    // Sends a copy of a message to the capture socket, if there is one (never blocks: a
    // capture that cannot take it loses it, counted).
    void capture(const std::vector<std::string_view>& frames);

    // Writes what is queued for the side's peers now, rather than a poll later.
    void flush(native_side_t& side);

    // Runs the loop until a stop signal or TERMINATE, then gives peers up to the linger
    // time to take what is queued for them. capture and control may be null.
    loop_exit run(native_routing_t& routing, stop_signal_t& stop, zmq::socket_t* capture,
                  control_server_t* control);

private:
    struct loop_t;

    void write_json(json_writer_t& json) const override;

    device_description_t& description_;
    const native_routing_t* routing_ = nullptr; // while run() runs
    socket_options_t options_;
    zmtp::connection_limits_t limits_;
    native_side_t frontend_;
    native_side_t backend_;
    proxy_counters_t counters_;
    zmq::socket_t* capture_ = nullptr;
    bool paused_ = false;
    peer_listener_t peer_listener_; // may be empty
};

} // namespace zd
