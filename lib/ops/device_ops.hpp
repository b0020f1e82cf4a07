// What a device runs for its operator besides its data path, from --events and --metrics:
// the events publisher (base/events.hpp) and the metrics server (metrics_server.hpp). One
// object so every device wires them the same way, in two steps that follow its start-up:
//
//   stop_signal_t stop; zmq::context_t context(...);
//   ops::device_ops_t ops(context, options.ops, socket_options, "zd-queue"); // before sockets
//   ... create and attach the sockets and the control server ...
//   ops.serve_metrics(control.socket());                                     // before the loop
//   announce_ready("frontend=... " + ops.ready_fields());
//
// Destroyed before the context (declare it after): the metrics server stops, then the
// publisher says "stopping".
#pragma once

#include "base/device_options.hpp"
#include "base/events.hpp"
#include "base/socket_options.hpp"
#include "ops/metrics_server.hpp"

#include <memory>
#include <string>
#include <zmq.hpp>

namespace zd::ops {

class device_ops_t {
public:
    // Starts the events publisher if --events was given, so that the first peers' events
    // are seen. Throws as events::publisher_t does.
    device_ops_t(zmq::context_t& context, const ops_options_t& options,
                 const socket_options_t& socket_options, std::string device);

    // Whether the device needs a control server for us even without --control.
    bool wants_control() const { return !options_.metrics.empty(); }

    // Starts the metrics server on the device's control socket if --metrics was given. Call
    // once, on the thread that owns the socket, before the device's loop runs. Throws as
    // start_metrics does.
    void serve_metrics(zmq::socket_t& control_socket);

    // " events=@tcp://... metrics=@tcp://..." for the ready line (only what is running).
    std::string ready_fields() const;

private:
    zmq::context_t& context_;
    ops_options_t options_;
    std::unique_ptr<events::publisher_t> events_;
    std::unique_ptr<metrics_server_t> metrics_; // destroyed first: declared last
};

} // namespace zd::ops
