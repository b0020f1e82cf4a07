// zd-streamer — a pipeline stage.
//
// Producers PUSH into the PULL frontend; consumers PULL from the PUSH backend, which
// spreads messages over them round-robin. Nothing is dropped: when every consumer is at
// its high-water mark, the streamer stops reading and producers block at theirs.
#include "core/proxy_device.hpp"

int main(int argc, char** argv) {
    CLI::App app{"zd-streamer: a pipeline stage (PULL frontend for producers, PUSH backend for "
                 "consumers).",
                 "zd-streamer"};
    app.footer("Example:\n"
               "  zd-streamer -f @tcp://*:5557 -b @tcp://*:5558\n"
               "Endpoints: '@' binds, '>' connects, comma-separated; bare endpoints bind.\n"
               "Exit codes: 0 ok, 1 runtime failure, 2 usage error.");
    zd::device_options_t options;
    zd::add_device_options(app, options);
    return zd::run_main(app, argc, argv, [&] {
        zd::proxy_device_spec_t spec{.name = "zd-streamer",
                                     .frontend_type = zmq::socket_type::pull,
                                     .backend_type = zmq::socket_type::push,
                                     .frontend_type_name = "PULL",
                                     .backend_type_name = "PUSH"};
        spec.proxy.backward = false;
        return zd::run_proxy_device(spec, options);
    });
}
