// The processes zd-bench re-executes itself as (`zd-bench --role NAME ...`, hidden from
// --help): the peers at either end of a pattern and libzmq's zmq_proxy as the reference
// device. Each role is its own process, as a real deployment would be.
//
//   sender    PUSH (streamer) or PUB (forwarder): sends as fast as it can until stopped;
//             the PUB waits at its high-water mark (XPUB_NODROP) rather than drop
//   receiver  PULL or SUB: counts every message into the shared block
//   client    DEALER with --in-flight requests outstanding (queue) or REQ with one
//             (latency): counts round trips, and times each one for latency
//   worker    REP: echoes every request
//   broker-client, broker-worker: the broker patterns' peers, ONE code for every path so
//             that only the path differs. The client is a DEALER keeping --in-flight
//             requests outstanding (timing each when only one is); the worker echoes.
//             direct: the client connects to every worker's ROUTER; zmq_proxy: workers are
//             DEALERs behind the proxy's DEALER backend; zd: both speak MDP/0.2 to
//             zd-broker (client REQUEST, FINAL back; worker READY, REQUEST -> FINAL). The
//             body is the same on every path; the MDP envelope is the broker's own price.
//   zmq-proxy zmq_proxy() between the pattern's two device sockets; prints the same
//             ready line as the zd devices
#pragma once

#include "bench_plan.hpp"

#include <cstdint>
#include <string>

namespace zd::bench {

struct role_options_t {
    std::string role;        // sender, receiver, client, worker, broker-client, broker-worker,
                             // zmq-proxy
    pattern_t pattern{};     // picks the socket types
    path_t path{};           // broker roles: direct, zmq_proxy or zd (MDP/0.2)
    std::string endpoint;    // peers: endpoints, '@' binds, '>' or bare connects
    std::string frontend;    // zmq-proxy: endpoint lists to bind
    std::string backend;     //
    std::size_t size = 16;   // message body in bytes
    std::uint64_t count = 0; // sender/client: stop sending after this many (0 = no limit)
    int in_flight = 100;     // client of the queue pattern
    int shared_fd = 3;       // the inherited shared block
    std::string curve_certificate; // zd-curve peers: their secret certificate, and
    std::string curve_server_key;  // the device's public one (both empty: no CURVE)
};

// Parses the hidden role command line (argv[1] is "--role"). Returns the exit code:
// 0 after the parent raised stop, 1 on a runtime error, 2 on a usage error.
int run_role_main(int argc, char** argv);

} // namespace zd::bench
