// The worker's side of Majordomo without a socket: READY on every new connection, HEARTBEAT
// when quiet, the broker's liveness, the pause before reconnecting, REQUEST in (the client's
// envelope handed to the caller) and REPLY/PARTIAL/FINAL out, DISCONNECT both ways. Messages
// and timer ticks go in; frames go out through a link the caller owns, which also opens and
// closes the connection when the session says so. lib/mdp/worker (threaded, for
// applications) and Titanic's broker links (one poll loop, many sessions) both drive it; unit
// tests drive it with a fake clock and fake broker frames (tests/mdp/test_worker_session).
//
// Life cycle: start() opens and sends READY. Nothing heard from the broker for
// heartbeat_interval x heartbeat_liveness, or a DISCONNECT from it, or lose_broker(): close,
// wait reconnect_delay, open, READY again. stop(): DISCONNECT, and nothing more.
// Not thread-safe: one thread owns a session.
#pragma once

#include "mdp/wire.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace zd::mdp {

struct worker_session_config_t {
    std::string service;
    version protocol = version::v02;
    std::chrono::milliseconds heartbeat_interval{2500}; // HEARTBEAT this often when quiet
    int heartbeat_liveness = 3;                         // broker silent this many intervals
                                                        // is dead
    std::chrono::milliseconds reconnect_delay{2500};    // pause before reconnecting
};

// The session's connection to the broker; the caller owns the socket behind it.
class worker_link_t {
public:
    virtual ~worker_link_t() = default;
    // Opens a new connection (a new socket: a late message for the old one never arrives).
    virtual void open() = 0;
    // Closes the connection at once, dropping what it still holds.
    virtual void close() = 0;
    // Sends frames as one message. False if the broker takes nothing (the message is lost).
    virtual bool send(const std::string_view* frames, std::size_t count) = 0;
};

struct worker_session_counters_t {
    std::uint64_t requests = 0;             // REQUESTs received
    std::uint64_t connects = 0;             // connections opened (1 + reconnects)
    std::uint64_t broker_expired = 0;       // broker silent too long
    std::uint64_t disconnects_received = 0; // DISCONNECTs from the broker
    std::uint64_t malformed = 0;            // messages that are not MDP for this worker
};

class worker_session_t {
public:
    using clock = std::chrono::steady_clock;
    using time_point = clock::time_point;

    // Throws std::invalid_argument for an empty or too long service name, one starting with
    // "mmi." (the broker's) or nonsensical timings. Opens nothing until start().
    worker_session_t(worker_session_config_t config, worker_link_t& link);
    // The same checks, for a caller that validates before it builds a session.
    static void check(const worker_session_config_t& config);

    // Opens the connection and sends READY.
    void start(time_point now);

    // What a message from the broker was.
    enum class event_kind {
        none,         // HEARTBEAT: nothing to do
        request,      // a REQUEST: answer it with reply()
        disconnected, // DISCONNECT: the connection is closed; requests of it have no taker
        malformed,    // not MDP for this worker (counted, dropped)
    };
    struct event_t {
        event_kind kind = event_kind::none;
        std::size_t client = 0; // request: index of the client's address (the envelope)
        std::size_t body = 0;   // request: index of the first body frame (== count: none)
    };
    // One message from the broker, frames as the worker's DEALER receives them. Anything
    // from the broker shows it is alive. Never throws.
    event_t on_message(const std::string_view* frames, std::size_t count, time_point now);

    // Answers the request whose envelope was client: the final reply (0.1 REPLY, 0.2 FINAL),
    // or a 0.2 PARTIAL when final is false (0.1 has none: dropped, true returned). No body
    // frames go as one empty frame (MDP needs one). False when not connected or the link
    // refused it.
    bool reply(std::string_view client, const std::string_view* body, std::size_t count, bool final,
               time_point now);

    // HEARTBEAT when quiet, the broker's liveness, reconnecting. Call at next_timer() or later.
    void on_timer(time_point now);
    // When on_timer() must run next (time_point::max() once stopped).
    time_point next_timer() const;

    // The broker cannot be used (the caller could not send to it): close, reconnect later.
    void lose_broker(time_point now);

    // While not listening (Titanic reads nothing on a full disk), the broker's heartbeats go
    // unread: that silence is ours, and does not count against the broker.
    void set_listening(bool listening, time_point now);
    // While held, the session does not reconnect (lib/mdp/worker: an abandoned request is
    // still being handled, and a worker never holds two).
    void hold_reconnect(bool held) { reconnect_held_ = held; }

    // Sends DISCONNECT if connected; the session then does nothing more. The caller closes
    // the connection (with a linger, so the DISCONNECT leaves).
    void stop(time_point now);

    bool connected() const { return connected_; }
    // Something came from the broker on this connection: a broker is there and knows us
    // (connected() only says the connection was opened; libzmq connects in the background).
    bool broker_heard() const { return broker_heard_; }
    // Counts connections opened: an envelope from an older connection has no taker.
    std::uint64_t connection() const { return counters_.connects; }
    // The broker is dead if silent until then (a blocking sender waits no longer).
    time_point broker_expires_at() const { return broker_expires_at_; }
    const worker_session_counters_t& counters() const { return counters_; }
    const worker_session_config_t& config() const { return config_; }

private:
    void connect(time_point now);
    void disconnect_and_wait(time_point now, const char* why);
    bool send(std::uint8_t command, std::string_view client, const std::string_view* body,
              std::size_t count, time_point now);
    std::chrono::milliseconds silence_limit() const {
        return config_.heartbeat_interval * config_.heartbeat_liveness;
    }

    worker_session_config_t config_;
    const wire_t& wire_;
    worker_link_t& link_;
    worker_session_counters_t counters_;
    bool connected_ = false;
    bool broker_heard_ = false;
    bool stopped_ = false;
    bool listening_ = true;
    bool reconnect_held_ = false;
    time_point heartbeat_at_{};         // send HEARTBEAT when nothing else was sent by then
    time_point broker_expires_at_{};    // the broker is dead if silent until then
    time_point reconnect_at_{};         // while not connected: open again then
    std::vector<std::string_view> out_; // reused for every message sent
};

} // namespace zd::mdp
