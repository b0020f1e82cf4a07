// zd-forwarder — a publish/subscribe hub.
//
// Publishers (PUB) talk to the XSUB frontend, subscribers (SUB) to the XPUB backend.
// Subscriptions travel upstream through the forwarder, so forwarders chain into trees.
// A subscriber too slow to keep up loses messages at its high-water mark, as with a plain
// PUB socket; the publishers are never slowed down by it. With --no-drop it holds them
// instead (a chain of forwarders: only the first hop's publishers drop, nothing in between).
// --last-value-cache: a new subscriber gets the latest message of the topic it subscribes
// to at once (topic = first frame; see lib/proxy/last_value_cache.hpp). The forwarder then
// subscribes upstream to everything (or to each --lvc-topic prefix, and caches only those
// topics), so that no update is filtered out by a publisher while nobody subscribes to it.
//
// It speaks ZMTP itself (the native engine: one thread, no libzmq socket in the data path)
// when every endpoint is tcp or ipc with a numeric host and neither ZMTP heartbeats nor the
// last-value cache are asked for; otherwise it moves messages through libzmq's XSUB and XPUB
// sockets. --engine chooses.
#include "cli/device_cli.hpp"
#include "cli/number_option.hpp"
#include "proxy/last_value_cache.hpp"
#include "proxy/proxy_device.hpp"

int main(int argc, char** argv) {
    CLI::App app{"zd-forwarder: a pub/sub hub (XSUB frontend for publishers, XPUB backend for "
                 "subscribers).",
                 "zd-forwarder"};
    app.footer("Example:\n"
               "  zd-forwarder -f @tcp://*:5550 -b @tcp://*:5551 --last-value-cache\n"
               "Endpoints: '@' binds, '>' connects, comma-separated; bare endpoints bind.\n"
               "Engines: native speaks ZMTP 3.x itself (tcp and ipc; numeric hosts, '*' or\n"
               "localhost; no heartbeats of its own, CURVE, inproc or last-value cache) and is\n"
               "cheaper per message; libzmq supports everything; auto takes native when it can.\n"
               "Exit codes: 0 ok, 1 runtime failure, 2 usage error.\n"
               "Signals: SIGINT, SIGTERM and SIGHUP stop it cleanly (exit 0); SIGHUP does not\n"
               "reload the configuration yet.");
    zd::device_options_t options;
    zd::add_device_options(app, options);
    bool last_value_cache = false;
    std::size_t max_topics = 10000;
    std::vector<std::string> lvc_topics;
    auto* cache_flag =
        app.add_flag("--last-value-cache", last_value_cache,
                     "Send a new subscriber the latest message on its topic at once (topic = "
                     "first frame). To keep every topic current the forwarder then subscribes "
                     "upstream to everything (or to each --lvc-topic) while it runs, "
                     "subscribers or not");
    app.add_option("--lvc-topic", lvc_topics,
                   "Repeatable: cache only topics starting with PREFIX, and subscribe upstream "
                   "only to these prefixes (default: every topic)")
        ->type_name("PREFIX")
        ->needs(cache_flag);
    app.add_option("--lvc-max-topics", max_topics,
                   "Topics the last-value cache keeps; the least recently updated go first")
        ->check(zd::whole_number(std::size_t(1), std::size_t(100000000)))
        ->capture_default_str();
    bool no_drop = false;
    app.add_flag("--no-drop", no_drop,
                 "A subscriber at its high-water mark holds the publishers (they are not read "
                 "until it has room) instead of missing messages: nothing is dropped here, and "
                 "the slowest subscriber sets the pace for all. For a forwarder whose "
                 "subscribers are forwarders (a chain), so that hops in between drop nothing");
    std::size_t max_subscriptions = 1000000;
    app.add_option("--max-subscriptions", max_subscriptions,
                   "Distinct topics the forwarder keeps for its subscribers; a subscription to "
                   "a new topic beyond them is refused (counted in STATS, logged), so that "
                   "subscribers cannot grow its memory without bound")
        ->check(zd::whole_number(std::size_t(1), std::size_t(1000000000)))
        ->capture_default_str();
    std::string engine = "auto";
    zd::add_engine_option(app, engine);
    return zd::run_main(app, argc, argv, [&] {
        zd::proxy_device_spec_t spec{.name = "zd-forwarder",
                                     .frontend_type = zmq::socket_type::xsub,
                                     .backend_type = zmq::socket_type::xpub,
                                     .frontend_type_name = "XSUB",
                                     .backend_type_name = "XPUB"};
        spec.counts_subscriptions = true;
        spec.max_subscriptions = max_subscriptions;
        spec.engine = *zd::parse_device_engine(engine);
        spec.holds_at_mark = no_drop;
        if (last_value_cache) {
            if (spec.engine == zd::device_engine::native)
                throw zd::usage_error("--engine native does not support --last-value-cache; "
                                      "use --engine libzmq");
            spec.engine = zd::device_engine::libzmq;
        } else {
            spec.native_routing = zd::native_routing_kind::forwarder;
        }
        spec.customize = [&](zmq::socket_t& frontend, zmq::socket_t& backend) {
            // XPUB_NODROP: a send to a subscriber at its mark fails with EAGAIN, and the
            // proxy parks the message and stops reading the publishers until it goes.
            if (no_drop) backend.set(zmq::sockopt::xpub_nodrop, 1);
            if (!last_value_cache) return std::unique_ptr<zd::proxy_observer_t>();
            return zd::make_last_value_publisher(frontend, backend, max_topics, lvc_topics);
        };
        return zd::run_proxy_device(spec, options);
    });
}
