// zd-streamer — a pipeline stage.
//
// Producers PUSH into the PULL frontend; consumers PULL from the PUSH backend, which
// spreads messages over them round-robin. Nothing is dropped: when every consumer is at
// its high-water mark, the streamer stops reading and producers block at theirs.
//
// It speaks ZMTP itself (the native pipeline: one thread, no libzmq socket in the data
// path) when every endpoint is tcp or ipc with a numeric host and no ZMTP heartbeats are
// asked for; otherwise it moves messages through libzmq's sockets. --engine chooses.
#include "cli/device_cli.hpp"
#include "proxy/proxy_device.hpp"

int main(int argc, char** argv) {
    CLI::App app{"zd-streamer: a pipeline stage (PULL frontend for producers, PUSH backend for "
                 "consumers).",
                 "zd-streamer"};
    app.footer("Example:\n"
               "  zd-streamer -f @tcp://*:5557 -b @tcp://*:5558\n"
               "Endpoints: '@' binds, '>' connects, comma-separated; bare endpoints bind.\n"
               "Engines: native speaks ZMTP 3.x itself (tcp and ipc; numeric hosts, '*' or\n"
               "localhost; no heartbeats of its own, CURVE or inproc) and is several times\n"
               "cheaper per message; libzmq supports everything libzmq does; auto takes native\n"
               "when it can. Native consumers take messages once their handshake is done\n"
               "(as with --immediate); --hwm counts the messages queued for each consumer.\n"
               "Exit codes: 0 ok, 1 runtime failure, 2 usage error.\n"
               "Signals: SIGINT, SIGTERM and SIGHUP stop it cleanly (exit 0); SIGHUP does not\n"
               "reload the configuration yet.");
    zd::device_options_t options;
    zd::add_device_options(app, options);
    std::string engine = "auto";
    zd::add_engine_option(app, engine);
    return zd::run_main(app, argc, argv, [&] {
        zd::proxy_device_spec_t spec{.name = "zd-streamer",
                                     .frontend_type = zmq::socket_type::pull,
                                     .backend_type = zmq::socket_type::push,
                                     .frontend_type_name = "PULL",
                                     .backend_type_name = "PUSH"};
        spec.proxy.backward = false;
        spec.engine = *zd::parse_device_engine(engine);
        spec.native_routing = zd::native_routing_kind::streamer;
        return zd::run_proxy_device(spec, options);
    });
}
