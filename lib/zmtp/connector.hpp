// The connecting side of the native ZMTP transport: one remote address, connected without
// blocking and reconnected after a pause whenever the connection fails or is lost, as
// libzmq's connecting sockets do (ZMQ_RECONNECT_IVL, 100 ms by default).
//
//   waiting --due()--> connecting --on_writable()--> connected (fd handed to the caller)
//      ^                   |  refused                    | connection_lost()
//      +-------------------+-----------------------------+
#pragma once

#include "zmtp/address.hpp"

#include <chrono>
#include <string>

namespace zd::zmtp {

class connector_t {
public:
    using clock = std::chrono::steady_clock;

    connector_t(socket_address_t address, std::chrono::milliseconds reconnect_interval);
    ~connector_t();
    connector_t(const connector_t&) = delete;
    connector_t& operator=(const connector_t&) = delete;

    const std::string& endpoint() const { return endpoint_; }
    bool is_tcp() const { return !address_.is_ipc(); }

    // While connecting: the socket to poll for writability. -1 otherwise.
    int pending_fd() const { return state_ == state::connecting ? fd_ : -1; }

    // When the next attempt is due (clock::time_point::max() unless waiting).
    clock::time_point next_attempt() const;

    // Starts an attempt if one is due. Returns a connected socket if it connected at once
    // (ipc usually does), else -1 (still connecting, or refused and waiting again).
    int start_if_due(clock::time_point now);

    // The pending connect finished (poll said writable): returns the connected socket, now
    // the caller's to close, or -1 if it failed (a new attempt waits an interval).
    int on_writable(clock::time_point now);

    // The connection handed out earlier is gone: try again after an interval.
    void connection_lost(clock::time_point now);

    bool connected() const { return state_ == state::connected; }
    const std::string& last_error() const { return last_error_; } // of the last failed attempt

private:
    enum class state { waiting, connecting, connected };

    int fail(clock::time_point now, const char* what);

    socket_address_t address_;
    std::string endpoint_;
    std::chrono::milliseconds interval_;
    state state_ = state::waiting;
    clock::time_point retry_at_{}; // the first attempt is due at once
    int fd_ = -1;                  // ours only while connecting
    std::string last_error_;
};

} // namespace zd::zmtp
