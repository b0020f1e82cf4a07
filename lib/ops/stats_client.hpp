// Asks a device's control server for its STATS from another thread of the same process: a
// REQ socket on an inproc address in the device's own context, a bounded wait, and a new
// socket after every timeout (the lazy pirate), so a late answer is never taken for the
// next request's.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <zmq.hpp>

namespace zd::ops {

class stats_client_t {
public:
    // Connects nothing yet: the socket is made by the first request, on the thread that
    // asks. Must be destroyed before context is closed.
    stats_client_t(zmq::context_t& context, std::string control_address,
                   std::chrono::milliseconds timeout);

    // Sends STATS and returns the one-frame answer, or nullopt when none came within the
    // timeout (device busy, stopped, or its context terminating). Never throws for that.
    // Not thread-safe: one caller at a time (the socket may move between threads between
    // calls; metrics_server_t serialises its handlers with a mutex).
    std::optional<std::string> request_stats();

private:
    zmq::context_t& context_;
    std::string address_;
    std::chrono::milliseconds timeout_;
    std::optional<zmq::socket_t> socket_;
};

} // namespace zd::ops
