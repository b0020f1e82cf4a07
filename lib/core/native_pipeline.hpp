// zd-streamer's data path without libzmq's sockets: the device speaks ZMTP 3.x itself
// (lib/zmtp) to its producers and consumers, in one thread, one poll loop. libzmq's proxy
// moves every message through two socket layers and hands it between its I/O thread and
// the proxy thread; here a message is read in a large chunk, cut out as frame views and
// copied once, into the output buffer of the consumer it goes to (docs/ARCHITECTURE.md,
// "The native pipeline").
//
// What it keeps from the libzmq path: PULL/PUSH semantics with peers of any ZMTP 3.x
// library (fair-queued input, round-robin output), several endpoints per side, bind and
// connect with reconnection, --hwm per consumer in messages (at the mark the device stops
// reading producers: back-pressure, nothing dropped), PAUSE/RESUME/TERMINATE/STATISTICS/
// STATS, the capture socket, a bounded linger. What it leaves to libzmq (a device falls
// back to it, or refuses with --engine native): endpoints other than tcp/ipc with numeric
// hosts, ZMTP heartbeats (PINGs from peers are answered, none are sent), CURVE.
#pragma once

#include "core/control.hpp"
#include "core/counters.hpp"
#include "core/proxy.hpp"
#include "core/socket_options.hpp"

#include <memory>
#include <string>
#include <zmq.hpp>

namespace zd {

class stop_signal_t;

// Why the native pipeline cannot serve these endpoints and options, or "" if it can.
std::string native_pipeline_unsupported(const device_description_t& description,
                                        const socket_options_t& options);

class native_pipeline_t {
public:
    // Binds every frontend (PULL) and backend (PUSH) endpoint of the description that binds
    // (connecting ones connect when run() starts); its endpoints then read as attached
    // (wildcard ports resolved). The description must outlive the pipeline: STATS shows it.
    // Throws std::runtime_error for an endpoint that cannot be bound, std::invalid_argument
    // for what native_pipeline_unsupported refuses.
    native_pipeline_t(device_description_t& description, const socket_options_t& options);
    ~native_pipeline_t();
    native_pipeline_t(const native_pipeline_t&) = delete;
    native_pipeline_t& operator=(const native_pipeline_t&) = delete;

    // Moves messages until a stop signal or TERMINATE, then gives consumers up to the
    // linger time to take what is queued for them. capture and control may be null.
    proxy_exit run(stop_signal_t& stop, zmq::socket_t* capture, control_server_t* control);

    const proxy_counters_t& counters() const;

private:
    struct state_t;
    std::unique_ptr<state_t> state_;
};

} // namespace zd
