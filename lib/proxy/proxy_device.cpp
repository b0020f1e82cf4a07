#include "proxy/proxy_device.hpp"

#include "base/events.hpp"
#include "base/json_writer.hpp"
#include "base/log.hpp"
#include "base/loop_probe.hpp"
#include "base/peer_table.hpp"
#include "base/readiness.hpp"
#include "base/socket_peer_monitor.hpp"
#include "base/stop_signal.hpp"
#include "base/subscription_table.hpp"
#include "ops/device_ops.hpp"
#include "proxy/subscription_observer.hpp"
#include "security/process_security.hpp"
#include "security/revocation_guard.hpp"

#include <optional>

#if ZD_NATIVE_ENGINE
#include "native/device.hpp"
#include "native/forwarder.hpp"
#include "native/queue.hpp"
#include "native/streamer.hpp"
#endif

namespace zd {

namespace {

endpoint_list_t parse_optional(const std::string& text) {
    return text.empty() ? endpoint_list_t{} : parse_endpoints(text, attach_mode::bind);
}

// Why the native engine cannot run this device with these endpoints and options; empty if
// it can.
std::string native_engine_refusal(const proxy_device_spec_t& spec,
                                  const device_description_t& description,
                                  const socket_options_t& options) {
    if (spec.native_routing == native_routing_kind::none) return "this device";
#if ZD_NATIVE_ENGINE
    return native_engine_unsupported(description, options);
#else
    (void)description;
    (void)options;
    return "this build (zdevices was built with ZD_NATIVE_ENGINE=OFF)";
#endif
}

// Subscribes a forwarder's XSUB upstream to its own loop probe, before it attaches: the XSUB
// keeps it and tells every publisher that connects.
void subscribe_to_loop_probe(zmq::socket_t& xsub, const loop_probe_t& probe) {
    zmq::message_t message(probe.topic().size() + 1);
    message.data<char>()[0] = 1;
    probe.topic().copy(message.data<char>() + 1, probe.topic().size());
    if (!xsub.send(message, zmq::send_flags::dontwait))
        throw std::runtime_error("cannot subscribe the frontend to the loop probe");
}

#if ZD_NATIVE_ENGINE
std::unique_ptr<native_routing_t> make_native_routing(native_routing_kind kind,
                                                      native_device_t& device,
                                                      subscription_table_t* subscriptions,
                                                      const loop_probe_t* loop_probe,
                                                      bool holds_at_mark) {
    switch (kind) {
    case native_routing_kind::streamer:
        return std::make_unique<native_streamer_t>(device);
    case native_routing_kind::queue:
        return std::make_unique<native_queue_t>(device, holds_at_mark);
    case native_routing_kind::forwarder:
        return std::make_unique<native_forwarder_t>(device, subscriptions, loop_probe,
                                                    holds_at_mark);
    case native_routing_kind::none:
        break;
    }
    throw std::logic_error("no native routing for this device"); // refused before
}
#endif

// Whether this run takes the native engine; throws usage_error if it was asked for and
// cannot serve these endpoints and options.
bool use_native_engine(const proxy_device_spec_t& spec, const device_description_t& description,
                       const socket_options_t& frontend, const socket_options_t& backend) {
    if (spec.engine == device_engine::libzmq) return false;
    std::string why = native_engine_refusal(spec, description, frontend);
    if (why.empty()) why = native_engine_refusal(spec, description, backend);
    if (why.empty()) return true;
    if (spec.engine == device_engine::native)
        throw usage_error("--engine native does not support " + why + "; use --engine libzmq");
    log::debug("engine: libzmq (the native engine does not support " + why + ")");
    return false;
}

} // namespace

std::optional<device_engine> parse_device_engine(std::string_view text) {
    if (text == "auto") return device_engine::automatic;
    if (text == "native") return device_engine::native;
    if (text == "libzmq") return device_engine::libzmq;
    return std::nullopt;
}

int run_proxy_device(const proxy_device_spec_t& spec, const device_options_t& options) {
    configure_log(spec.name, options.common);
    device_description_t description{spec.name,
                                     spec.frontend_type_name,
                                     spec.backend_type_name,
                                     parse_endpoints(options.frontend, attach_mode::bind),
                                     parse_endpoints(options.backend, attach_mode::bind),
                                     parse_optional(options.capture),
                                     parse_optional(options.control)};

    stop_signal_t stop; // before the context, so libzmq's threads inherit the blocked mask
    zmq::context_t context(options.common.io_threads);
    // Each side's socket options with its CURVE keys and ZAP domain; certificates are read
    // and checked here, before anything binds (exit 2 on a bad one). After the context: the
    // ZAP handler's sockets close before it ends.
    security::process_security_t security(options.common.security);
    const socket_options_t& base = options.common.socket;
    const socket_options_t frontend_options = security.side("frontend", base, description.frontend);
    const socket_options_t backend_options = security.side("backend", base, description.backend);
    const socket_options_t capture_options = security.side("capture", base, description.capture);
    const socket_options_t control_options = security.side("control", base, description.control);

    const bool native = use_native_engine(spec, description, frontend_options, backend_options);
    security.start(context); // the ZAP handler, before any socket binds
    // Before the sockets, so that the first peers' events are published.
    ops::device_ops_t ops(context, options.ops, options.common.socket, spec.name);
    // Who is connected, for STATS: the native engine reports its own connections, libzmq's
    // sockets are watched by a monitor thread (declared after the sockets: it stops watching
    // before they close).
    peer_table_t peers({"frontend", "backend"});
    description.peers = &peers;
    // The forwarder's topics, fed by whichever engine runs it.
    std::optional<subscription_table_t> subscriptions;
    // The forwarder's probe for cycles of forwarders (base/loop_probe.hpp).
    std::optional<loop_probe_t> loop_probe;
    if (spec.counts_subscriptions) {
        description.subscriptions = &subscriptions.emplace();
        loop_probe.emplace();
    }
    const peer_listener_t record_peer = [&peers](const peer_event_t& event) {
        peers.record(event);
        events::emit_peer(event, peers.side_name(event.side));
    };
    // The libzmq data path's sockets; the native engine has its own.
    std::optional<zmq::socket_t> frontend, backend;
    std::optional<socket_peer_monitor_t> peer_monitor;
    std::unique_ptr<proxy_observer_t> observer;
#if ZD_NATIVE_ENGINE
    std::unique_ptr<native_device_t> native_device;
    if (native) {
        description.engine = "native";
        native_device = std::make_unique<native_device_t>(
            description, options.common.socket, spec.frontend_type_name, spec.backend_type_name);
        native_device->set_peer_listener(record_peer);
    }
#endif
    if (!native) {
        frontend.emplace(context, spec.frontend_type);
        backend.emplace(context, spec.backend_type);
        frontend_options.apply_to(*frontend);
        backend_options.apply_to(*backend);
        if (spec.customize) observer = spec.customize(*frontend, *backend);
        if (subscriptions) {
            observer = make_subscription_observer(*subscriptions, *loop_probe, std::move(observer));
            subscribe_to_loop_probe(*frontend, *loop_probe);
        }
        if (observer)
            description.more_stats = [&observer](json_writer_t& json) {
                observer->write_stats(json);
            };
        peer_monitor.emplace(context, record_peer);
        peer_monitor->watch(*frontend, peers.side("frontend"));
        peer_monitor->watch(*backend, peers.side("backend"));
        peer_monitor->start();
        description.frontend = attach(*frontend, description.frontend, frontend_options);
        description.backend = attach(*backend, description.backend, backend_options);
    }
    // Revocation on the CURVE sides with an allow directory: a removed key's open connections
    // are cut and their traffic dropped (security/revocation_guard.hpp).
    std::map<std::string, std::unique_ptr<security::revocation_guard_t>> guards;
    for (const char* side : {"frontend", "backend"})
        if (security.revocable(side))
            guards[side] =
                std::make_unique<security::revocation_guard_t>(*security.handler(), side);
    if (security.handler()) {
        description.more_stats = [&security, &guards,
                                  more = std::move(description.more_stats)](json_writer_t& json) {
            if (more) more(json);
            std::map<std::string, const security::revocation_guard_t*> views;
            for (const auto& [side, guard] : guards)
                views[side] = guard.get();
            security.write_stats(json, views);
        };
    }
    const auto gate = [&guards](const char* side) -> message_gate_t* {
        const auto guard = guards.find(side);
        return guard == guards.end() ? nullptr : guard->second.get();
    };
    std::optional<zmq::socket_t> capture;
    if (!description.capture.empty()) {
        capture.emplace(context, zmq::socket_type::pub);
        capture_options.apply_to(*capture);
        description.capture = attach(*capture, description.capture, capture_options);
    }
    // A control server also without --control when --metrics asks STATS through it.
    std::optional<control_server_t> control;
    if (!description.control.empty() || ops.wants_control()) {
        control.emplace(context, description.control, control_options);
        description.control = control->endpoints();
        ops.serve_metrics(control->socket());
    }

    announce_ready("frontend=" + to_string(description.frontend) +
                   " backend=" + to_string(description.backend) +
                   (capture ? " capture=" + to_string(description.capture) : std::string()) +
                   (description.control.empty() ? std::string()
                                                : " control=" + to_string(description.control)) +
                   ops.ready_fields());
    const auto run_engine = [&] {
#if ZD_NATIVE_ENGINE
        if (native) {
            const auto routing = make_native_routing(
                spec.native_routing, *native_device, subscriptions ? &*subscriptions : nullptr,
                loop_probe ? &*loop_probe : nullptr, spec.holds_at_mark);
            return native_device->run(*routing, stop, capture ? &*capture : nullptr,
                                      control ? &*control : nullptr);
        }
#endif
        proxy_t proxy(*frontend, *backend, capture ? &*capture : nullptr,
                      control ? &*control : nullptr, description, spec.proxy);
        proxy.set_observer(observer.get());
        proxy.set_gates(gate("frontend"), gate("backend"));
        return proxy.run(stop);
    };
    loop_exit why;
    try {
        why = run_engine();
    } catch (const subscription_loop_error& error) {
        // Logged here, while the --events publisher still runs: the line is also an "error"
        // event.
        log::error(error.what());
        return exit_failure;
    }
    log::info(why == loop_exit::signal ? "stopping on signal" : "stopping on TERMINATE");
    return exit_ok;
}

} // namespace zd
