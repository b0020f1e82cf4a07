// One measurement: one pattern over one transport at one size through one path.
//
// Starts the device (zd or zmq_proxy, or none for direct), then the downstream peer, then
// the upstream peer, each its own process. It waits for the first message to arrive (for
// the forwarder that also proves the subscription has travelled), lets the stream warm up,
// then opens the timed window: count, clock and the device's CPU time are read together at
// both ends. The window closes after the duration or the count, whichever comes first; the
// peers are stopped only after it closed, so no message is lost to a closing socket.
#pragma once

#include "bench_plan.hpp"
#include "broker_memory.hpp"

#include <cstdint>
#include <optional>
#include <stdexcept>

namespace zd::bench {

struct measurement_spec_t {
    pattern_t pattern;
    transport_t transport;
    std::size_t size;
    path_t path;
    int workers = 1; // broker patterns: workers serving the one service
};

struct measurement_t {
    double rate = 0;                           // messages or round trips per second
    double p50_us = 0;                         // latency pattern: round-trip percentiles
    double p99_us = 0;                         //
    std::optional<double> cpu_us_per_message;  // the device's CPU per counted message
    std::optional<double> wakeups_per_message; // the device's threads scheduled per message
    std::uint64_t messages = 0;                // counted in the window
    double seconds = 0;                        // the window's length
};

// The user pressed Ctrl-C (or sent SIGTERM) while a measurement ran.
class interrupted_error : public std::runtime_error {
public:
    interrupted_error() : std::runtime_error("interrupted") {}
};

// Makes SIGINT and SIGTERM end the run cleanly: the measurement under way throws
// interrupted_error, and every child is stopped and reaped on the way out.
void install_interrupt_handler();

// Runs one measurement. Throws std::runtime_error naming the path and what went wrong (a
// device that did not start, no message within 10 s, a peer that died, ...), or
// interrupted_error.
measurement_t measure(const measurement_spec_t& spec, const run_settings_t& settings);

// The broker-memory measurement, on one zd-broker: settings.memory_requests requests of
// size bytes through four MDP workers (100 in flight), then settings.memory_names distinct
// unknown service names (a request for each, and mmi.service for as many others), sampling
// the broker's resident memory throughout. zd-broker runs with --request-timeout
// settings.memory_request_timeout --service-ttl 100 --max-services 1000000 (plus
// --zd-args): unknown requests expire and their services are forgotten soon, and the
// service limit is out of the way, so that only forgetting can keep the memory flat.
// Throws like measure().
broker_memory_t measure_broker_memory(transport_t transport, std::size_t size,
                                      const run_settings_t& settings);

// The time a new client takes from nothing to its first reply through a zd-queue: connect,
// the ZMTP handshake (with curve, CURVE's and the device's ZAP answer), one request to a
// worker and back. Median and slowest of settings.handshakes clients, one after another.
struct handshake_t {
    transport_t transport{};
    bool curve = false;
    int count = 0;
    double median_ms = 0;
    double max_ms = 0;
};

// Starts a zd-queue (with curve: --curve-cert/--curve-allow from settings.curve, and the
// worker and clients as CURVE clients) and times settings.handshakes new clients. Throws
// like measure().
handshake_t measure_handshake(transport_t transport, bool curve, const run_settings_t& settings);

} // namespace zd::bench
