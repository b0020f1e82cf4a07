// zd-queue — a shared request/reply queue.
//
// Clients (REQ or DEALER) talk to the ROUTER frontend; workers (REP or DEALER) to the
// DEALER backend. Requests are spread over the workers round-robin, replies go back to the
// client that asked. A reply whose client is gone, or whose client is at its high-water
// mark, is dropped and counted (the ROUTER cannot block one client's reply without
// blocking everyone's). Requests are never dropped: when every worker is at its mark, the
// queue stops reading requests and the clients' own queues hold them.
//
// It speaks ZMTP itself (the native engine: one thread, no libzmq socket in the data path)
// when every endpoint is tcp or ipc with a numeric host and no ZMTP heartbeats are asked
// for; otherwise it moves messages through libzmq's ROUTER and DEALER. --engine chooses.
#include "cli/device_cli.hpp"
#include "proxy/proxy_device.hpp"

int main(int argc, char** argv) {
    CLI::App app{"zd-queue: a shared request/reply queue (ROUTER frontend for clients, DEALER "
                 "backend for workers).",
                 "zd-queue"};
    app.footer("Example:\n"
               "  zd-queue -f @tcp://*:5555 -b @tcp://*:5556 --control @ipc:///tmp/q.ctl\n"
               "Endpoints: '@' binds, '>' connects, comma-separated; bare endpoints bind.\n"
               "Engines: native speaks ZMTP 3.x itself (tcp and ipc; numeric hosts, '*' or\n"
               "localhost; no heartbeats of its own, CURVE or inproc) and is cheaper per\n"
               "message; libzmq supports everything; auto takes native when it can.\n"
               "Exit codes: 0 ok, 1 runtime failure, 2 usage error.\n"
               "Signals: SIGINT, SIGTERM and SIGHUP stop it cleanly (exit 0); SIGHUP does not\n"
               "reload the configuration yet.");
    zd::device_options_t options;
    zd::add_device_options(app, options);
    bool hold_replies = false;
    app.add_flag("--hold-replies", hold_replies,
                 "A reply for a client at its high-water mark waits, and its worker is not read "
                 "meanwhile, instead of being dropped. For a queue whose clients are other "
                 "queues (a chain), where a dropped reply is a lost answer; a reply for a client "
                 "that is gone is still dropped");
    std::string engine = "auto";
    zd::add_engine_option(app, engine);
    return zd::run_main(app, argc, argv, [&] {
        zd::proxy_device_spec_t spec{.name = "zd-queue",
                                     .frontend_type = zmq::socket_type::router,
                                     .backend_type = zmq::socket_type::dealer,
                                     .frontend_type_name = "ROUTER",
                                     .backend_type_name = "DEALER"};
        // ROUTER_MANDATORY (below) refuses a reply for a client at its mark with EAGAIN: the
        // proxy drops it, or with --hold-replies parks it until the client has room. A reply
        // for a client that is gone is refused with EHOSTUNREACH and always dropped.
        spec.proxy.frontend_drops = !hold_replies;
        spec.holds_at_mark = hold_replies;
        spec.proxy.hides_workers = true;
        spec.engine = *zd::parse_device_engine(engine);
        spec.native_routing = zd::native_routing_kind::queue;
        spec.customize = [](zmq::socket_t& frontend, zmq::socket_t&) {
            // Turn silent drops of unroutable replies into errors we can count.
            frontend.set(zmq::sockopt::router_mandatory, 1);
            return std::unique_ptr<zd::proxy_observer_t>();
        };
        return zd::run_proxy_device(spec, options);
    });
}
