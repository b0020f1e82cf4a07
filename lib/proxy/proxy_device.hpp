// What zd-queue, zd-forwarder and zd-streamer have in common: build the sockets from the
// shared options, attach them, announce the resolved endpoints, run the proxy loop until
// SIGINT/SIGTERM or TERMINATE, and shut down within the bounded linger.
#pragma once

#include "base/device_options.hpp"
#include "proxy/proxy.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <zmq.hpp>

namespace zd {

// Which data path a device runs: libzmq's sockets and the proxy loop, or the native engine
// that speaks ZMTP itself (lib/native) with the device's routing. auto takes the native one
// when it supports the endpoints and options (and was built: ZD_NATIVE_ENGINE), libzmq
// otherwise.
enum class device_engine { libzmq, native, automatic };

// Which of the native engine's routings a device runs on it; none for a device without one.
enum class native_routing_kind { none, streamer, queue, forwarder };

// Parses "auto", "native" or "libzmq"; nothing for anything else.
std::optional<device_engine> parse_device_engine(std::string_view text);

struct proxy_device_spec_t {
    std::string name;               // "zd-queue"
    zmq::socket_type frontend_type; // e.g. router
    zmq::socket_type backend_type;  // e.g. dealer
    std::string frontend_type_name; // "ROUTER", for STATS
    std::string backend_type_name;
    proxy_config_t proxy{}; // directions and drop behaviour
    device_engine engine = device_engine::libzmq;
    native_routing_kind native_routing = native_routing_kind::none;
    // zd-forwarder: count the distinct topics its subscribers want, for STATS
    // "subscriptions" and the SUBSCRIPTIONS command (base/subscription_table.hpp).
    bool counts_subscriptions = false;
    // With counts_subscriptions: the most distinct topics kept (--max-subscriptions).
    std::size_t max_subscriptions = std::size_t(-1);
    // zd-queue --hold-replies, zd-forwarder --no-drop: a message for a peer at its mark
    // waits, and the input it came from is not read meanwhile (back-pressure), instead of
    // being dropped. On the libzmq engine the device sets what makes its output refuse with
    // EAGAIN (ROUTER_MANDATORY without proxy.frontend_drops; XPUB_NODROP).
    bool holds_at_mark = false;
    // Called after the sockets exist and before they attach, for device-specific options
    // and behaviour; may return an observer that the proxy then feeds. May be empty.
    std::function<std::unique_ptr<proxy_observer_t>(zmq::socket_t& frontend,
                                                    zmq::socket_t& backend)>
        customize{};
};

// Runs the device. Returns the process exit code (0 after a signal or TERMINATE).
// Throws std::runtime_error for set-up failures (an endpoint that cannot be bound, ...).
int run_proxy_device(const proxy_device_spec_t& spec, const device_options_t& options);

} // namespace zd
