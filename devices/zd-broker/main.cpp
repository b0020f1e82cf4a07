// zd-broker — a Majordomo (MDP/0.1 and MDP/0.2) workload broker with MMI.
//
// Clients send requests for named services; workers register for a service and get the
// requests one at a time, least recently used worker first (--worker-credit N lets a worker
// hold N at once, pipelined into its socket, for throughput). A request held by a worker
// that dies goes back to the front of the queue (workers are idempotent by the spec), up to
// --max-retries times. Queues (by memory, and by count if asked), request age and the number
// of services are bounded; a refused request is logged, since MDP cannot tell its client. See
// docs/BROKER.md for every limit and what happens at it.
//
// Brokers join into a fabric with --peer (docs/FEDERATION.md): a request for a service that
// no local worker can take goes to a peer broker that advertised it, and the reply comes
// back the same way; a peer that dies hands its requests back to the queue.
#include "base/log.hpp"
#include "base/readiness.hpp"
#include "base/stop_signal.hpp"
#include "cli/device_cli.hpp"
#include "cli/number_option.hpp"
#include "cli/ops_options.hpp"
#include "mdp/broker_server.hpp"
#include "ops/device_ops.hpp"
#include "security/process_security.hpp"

namespace {

// A --peer link only connects: an allow-list of its own would never be asked. The peers that
// may open a link to us are those let in on --endpoint (its --curve-allow directory).
void refuse_peer_allow_list(const zd::security_options_t& security) {
    const auto peer = security.sides.find("peer");
    if (peer == security.sides.end()) return;
    if (!peer->second.allow.empty() || peer->second.allow_any)
        throw zd::usage_error("--peer-curve-allow and --peer-curve-allow-any have no effect: a "
                              "--peer link only connects. The peers that may link to this "
                              "broker are those whose public certificate is in the "
                              "--curve-allow directory (docs/SECURITY.md)");
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"zd-broker: a Majordomo (MDP/0.1 + 0.2) service broker with MMI discovery, "
                 "heartbeats and no lost requests.",
                 "zd-broker"};
    app.footer("Example:\n"
               "  zd-broker -e @tcp://*:5555 --control @ipc:///tmp/broker.ctl\n"
               "  zd-worker -b tcp://127.0.0.1:5555 --echo echo &\n"
               "  zd-call -b tcp://127.0.0.1:5555 echo hello\n"
               "Endpoints: '@' binds, '>' connects, comma-separated; bare endpoints bind.\n"
               "Clients and workers may share an endpoint or use separate ones.\n"
               "Federation: zd-broker -e @tcp://*:5555 --peer '>tcp://hub-b:5555' joins the\n"
               "broker at hub-b (its own --endpoint); see docs/FEDERATION.md.\n"
               "CURVE (docs/SECURITY.md): --curve-cert and --curve-allow secure --endpoint and\n"
               "--control; a --peer link is a CURVE client of the peer (--curve-server-key, or\n"
               "--peer-curve-server-key and the other --peer-curve-* for the links alone), and\n"
               "the peer lets it in only if our public certificate is in its allow directory.\n"
               "Exit codes: 0 ok, 1 runtime failure, 2 usage error.\n"
               "Signals: SIGINT, SIGTERM and SIGHUP stop it cleanly (exit 0); SIGHUP does not\n"
               "reload the configuration yet.");
    std::string endpoints, control;
    std::vector<std::string> peers;
    zd::ops_options_t ops_options;
    zd::common_options_t common;
    zd::mdp::broker_config_t config;
    long long heartbeat_ms = config.heartbeat_interval.count();
    long long request_timeout_ms = config.request_timeout.count();
    long long service_ttl_ms = config.service_ttl.count();
    app.add_option("-e,--endpoint", endpoints,
                   "Endpoints for clients and workers, e.g. @tcp://*:5555 (bare = bind)")
        ->required()
        ->check(zd::endpoint_list_validator());
    app.add_option("--control", control, "Control endpoints (see zd-ctl)")
        ->check(zd::endpoint_list_validator());
    zd::ops::add_ops_options(app, ops_options);
    const char* group = "Broker";
    app.add_option("--heartbeat-interval", heartbeat_ms,
                   "Milliseconds between heartbeats to workers")
        ->check(zd::whole_number(1LL, 3600000LL))
        ->capture_default_str()
        ->group(group);
    app.add_option("--heartbeat-liveness", config.heartbeat_liveness,
                   "Missed heartbeat intervals after which a worker (idle or busy) is dead")
        ->check(zd::whole_number(1, 1000))
        ->capture_default_str()
        ->group(group);
    app.add_option("--request-timeout", request_timeout_ms,
                   "Milliseconds a request may wait in a queue before it expires")
        ->check(zd::whole_number(1LL, 86400000LL))
        ->capture_default_str()
        ->group(group);
    app.add_option("--max-retries", config.max_retries,
                   "Times a request is re-dispatched after its worker died, then dropped")
        ->check(zd::whole_number(0, 1000))
        ->capture_default_str()
        ->group(group);
    app.add_option("--max-queue-bytes", config.max_queue_bytes,
                   "Memory the requests waiting for one service's workers may hold (bodies plus "
                   "160 bytes per request and 64 per frame; suffixes KiB, MiB, GiB). The default, "
                   "256 MiB, holds about a million small requests. Past it a request is refused: "
                   "dropped unanswered (MDP cannot tell the client), counted in 'rejected', and "
                   "logged (at most once per service every 10 s)")
        ->transform(CLI::AsSizeValue(false))
        ->check(zd::whole_number(zd::mdp::queued_request_bytes(1, 0), std::size_t(1) << 50))
        ->capture_default_str()
        ->group(group);
    app.add_option("--max-queue", config.max_queue,
                   "Requests waiting per service, 0 = no count limit (the default: "
                   "--max-queue-bytes bounds the queue). Past it a request is refused as at "
                   "--max-queue-bytes")
        ->check(zd::whole_number(std::size_t(0), std::size_t(100000000)))
        ->capture_default_str()
        ->group(group);
    app.add_option("--max-services", config.max_services,
                   "Distinct services; requests for more are refused")
        ->check(zd::whole_number(std::size_t(1), std::size_t(100000000)))
        ->capture_default_str()
        ->group(group);
    app.add_option("--service-ttl", service_ttl_ms,
                   "Milliseconds after which a service with no workers and no requests is "
                   "forgotten")
        ->check(zd::whole_number(1LL, 86400000LL))
        ->capture_default_str()
        ->group(group);
    app.add_option("--worker-credit", config.worker_credit,
                   "Requests a worker holds at once. 1 is MDP's rule (one at a time); more "
                   "pipeline requests into the worker's socket while it works: much higher "
                   "throughput, but a request may wait behind a slow one at its worker")
        ->check(zd::whole_number(std::size_t(1), zd::mdp::max_worker_credit))
        ->capture_default_str()
        ->group(group);
    app.add_option("--max-frames", config.max_frames,
                   "Frames in one message; a longer message is dropped whole and counted as "
                   "a protocol error")
        ->check(zd::whole_number(std::size_t(8), std::size_t(1000000)))
        ->capture_default_str()
        ->group(group);
    const char* federation = "Federation";
    app.add_option("--peer", peers,
                   "Another broker to join, by its own --endpoint, e.g. '>tcp://hub-b:5555' "
                   "(repeatable; connects: '>' or bare). Requests no local worker can take go "
                   "to peers that have workers for them; either side naming the other is enough")
        ->check(CLI::Validator(
            [](std::string& text) -> std::string {
                if (text.empty()) return {};
                try {
                    if (zd::parse_endpoint(text, zd::attach_mode::connect).mode ==
                        zd::attach_mode::bind)
                        return "'" + text +
                               "': a peer is another broker to connect to; write '>' or "
                               "nothing before it";
                    return {};
                } catch (const zd::endpoint_error& error) {
                    return error.what();
                }
            },
            "ENDPOINT", "peer endpoint"))
        ->group(federation);
    app.add_option("--max-hops", config.max_hops,
                   "Broker-to-broker hops a request may take (and the longest route learned "
                   "from peers): 1 reaches only direct peers")
        ->check(zd::whole_number(std::size_t(1), std::size_t(64)))
        ->capture_default_str()
        ->group(federation);
    app.add_option("--name", config.broker_name,
                   "This broker's name in its peers' STATS and mmi.services (default: its "
                   "random id)")
        ->check([](const std::string& name) {
            return name.size() > 255 ? std::string("must be at most 255 bytes") : std::string();
        })
        ->group(federation);
    zd::add_common_options(app, common);
    zd::add_security_options(app, common.security);
    zd::add_side_security_options(app, common.security, "peer", "the --peer links'");

    return zd::run_main(app, argc, argv, [&] {
        zd::configure_log("zd-broker", common);
        config.heartbeat_interval = std::chrono::milliseconds(heartbeat_ms);
        config.request_timeout = std::chrono::milliseconds(request_timeout_ms);
        config.service_ttl = std::chrono::milliseconds(service_ttl_ms);
        const auto parsed = zd::parse_endpoints(endpoints, zd::attach_mode::bind);
        const auto control_parsed = control.empty()
                                        ? zd::endpoint_list_t{}
                                        : zd::parse_endpoints(control, zd::attach_mode::bind);

        refuse_peer_allow_list(common.security);
        zd::endpoint_list_t peer_endpoints;
        for (const std::string& peer : peers)
            if (!peer.empty())
                peer_endpoints.push_back(zd::parse_endpoint(peer, zd::attach_mode::connect));

        zd::stop_signal_t stop; // before the context: libzmq's threads inherit the mask
        zmq::context_t context(common.io_threads);
        // Each socket's options with its CURVE keys and ZAP domain; the certificates are read
        // and checked here, before anything binds (exit 2 on a bad one). After the context:
        // the ZAP handler's sockets close before it ends.
        zd::security::process_security_t security(common.security);
        const zd::mdp::broker_socket_options_t socket_options{
            .endpoint = security.side("endpoint", common.socket, parsed),
            .control = security.side("control", common.socket, control_parsed),
            .peer = security.side("peer", common.socket, peer_endpoints)};
        security.start(context); // the ZAP handler, before any socket binds
        zd::ops::device_ops_t ops(context, ops_options, common.socket, "zd-broker");
        zd::mdp::broker_server_t server(context, parsed, control_parsed, socket_options, config,
                                        peer_endpoints);
        ops.serve_metrics(server.control_socket());
        zd::announce_ready(
            "endpoint=" + zd::to_string(server.endpoints()) +
            (peer_endpoints.empty() ? std::string() : " peers=" + zd::to_string(peer_endpoints)) +
            (control.empty() ? std::string()
                             : " control=" + zd::to_string(server.control_endpoints())) +
            ops.ready_fields());
        const bool terminated = server.run(stop);
        zd::log::info(terminated ? "stopping on TERMINATE" : "stopping on signal");
        return int(zd::exit_ok);
    });
}
