// --metrics: an HTTP endpoint a Prometheus server scrapes. GET /metrics answers the device's
// STATS in Prometheus' text format (prometheus_text), GET /stats the STATS JSON as it is,
// anything else 404. The server runs on a thread of its own, never the device's loop: it
// asks the device's control server for STATS like any control client, over inproc in the
// device's context, so the device needs no locks and no code of its own for metrics.
//
//   Prometheus --HTTP--> metrics_server_t --REQ "STATS" (inproc)--> the device's control
//                        (listener thread + handlers)               ROUTER, on its loop
#pragma once

#include "ops/metrics_endpoint.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace zmq {
class context_t;
class socket_t;
} // namespace zmq

namespace zd::ops {

struct metrics_server_options_t {
    // How long a scrape waits for the device's STATS before answering 503.
    std::chrono::milliseconds stats_timeout{1000};
};

class metrics_server_t {
public:
    // Binds endpoint and serves until destroyed. control_address is a libzmq address of the
    // device's control server in context (start_metrics binds an inproc one). Throws
    // std::runtime_error naming the endpoint if it cannot listen there (in use, not local).
    // Side effect: SIGPIPE is ignored in the whole process from here on. cpp-httplib's
    // Server constructor does it, because it writes with send() without MSG_NOSIGNAL: a
    // scraper hanging up mid-answer would otherwise kill the device. Do not undo it. The
    // threads it starts inherit the caller's signal mask (devices block SIGINT/SIGTERM first).
    metrics_server_t(zmq::context_t& context, std::string control_address,
                     const metrics_endpoint_t& endpoint, metrics_server_options_t options = {});
    // Stops listening, lets running handlers finish (bounded by the STATS timeout, or 1 s
    // for a connection that sent nothing; connections are not kept alive) and joins the
    // threads. Destroy before the context.
    ~metrics_server_t();
    metrics_server_t(const metrics_server_t&) = delete;
    metrics_server_t& operator=(const metrics_server_t&) = delete;

    // The port listened on (the OS's choice for port 0).
    unsigned port() const;

    // The endpoint as bound, for the ready line: "@tcp://127.0.0.1:9100".
    const std::string& endpoint() const;

private:
    struct impl_t;
    std::unique_ptr<impl_t> impl_;
};

// All a device does for --metrics: when metrics_option is not empty, binds control_socket
// (the device's control server's ROUTER) to an inproc address of its own as well and starts
// a metrics_server_t that asks it. Returns nullptr when metrics_option is empty. Call on the
// thread that owns control_socket, before the device's loop runs; print endpoint() in the
// ready line as metrics=...; destroy the result before the context. Throws
// zd::endpoint_error for a bad endpoint (usage, exit 2), std::runtime_error if it cannot
// listen (exit 1).
std::unique_ptr<metrics_server_t> start_metrics(zmq::context_t& context,
                                                zmq::socket_t& control_socket,
                                                std::string_view metrics_option,
                                                metrics_server_options_t options = {});

} // namespace zd::ops
