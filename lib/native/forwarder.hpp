// zd-forwarder's routing on the native engine (native/device.hpp): XSUB -> XPUB.
//
// Subscribers (SUB, XSUB) subscribe with SUBSCRIBE/CANCEL commands (ZMTP 3.1) or with
// messages starting with 1/0 (3.0); the forwarder keeps each one's topics and, like a
// non-verbose XPUB, passes upstream only the first subscription to a topic and the last
// cancellation: to every publisher (PUB, XPUB) at once, and the whole set to a publisher
// when it connects, in the form its ZMTP version reads. A publication (topic = its first
// frame) goes to every subscriber with a topic that is a prefix of it. A subscriber at its
// high-water mark (--hwm messages not yet written to its socket) misses publications,
// counted in frontend_to_backend.dropped_messages (one per subscriber that missed one);
// publishers are never slowed down by it. Unless it holds publishers (zd-forwarder
// --no-drop, for a forwarder whose subscribers are forwarders: a chain): then a subscriber at
// its mark stops the forwarder reading any publisher until it has room again, whatever topics
// it wants (a publication is matched only once read), so nothing is dropped here and the
// pressure reaches the publishers, whose own sockets decide (a PUB drops at its mark).
//
// Loop probes (base/loop_probe.hpp): with a probe, the forwarder subscribes every publisher
// to its own probe topic and refuses to run (subscription_loop_error) when that topic comes
// back from a subscriber. Other forwarders' probes pass upstream like any first subscription
// but are kept apart from the topics publications are matched against, so they cost the
// hot path nothing.
#pragma once

#include "base/loop_probe.hpp"
#include "base/subscription_table.hpp"
#include "native/device.hpp"

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace zd {

class native_forwarder_t final : public native_routing_t {
public:
    // The device's frontend must be of type XSUB and its backend XPUB. subscriptions, if not
    // null, is told every subscription and cancellation passed upstream (STATS); it must
    // outlive the routing; so must loop_probe, which may be null too (no cycle detection).
    // holds_publishers: --no-drop, above.
    explicit native_forwarder_t(native_device_t& device,
                                subscription_table_t* subscriptions = nullptr,
                                const loop_probe_t* loop_probe = nullptr,
                                bool holds_publishers = false)
        : device_(device), subscriptions_(subscriptions), loop_probe_(loop_probe),
          holds_publishers_(holds_publishers) {}

    void peer_ready(native_side_t& side, native_peer_t& peer) override;
    void peer_gone(native_side_t& side, native_peer_t& peer) override;
    void forward() override;
    bool forward_again() const override;

private:
    void subscribe(native_peer_t& subscriber, std::string_view topic);
    void cancel(native_peer_t& subscriber, std::string_view topic);
    void release(std::string_view topic);
    void send_upstream(bool subscribe, std::string_view topic);
    void read_subscriptions(native_peer_t& subscriber);
    void publish_from(native_peer_t& publisher);
    bool a_subscriber_is_full() const;

    native_device_t& device_;
    subscription_table_t* subscriptions_; // may be null
    const loop_probe_t* loop_probe_;      // may be null
    bool holds_publishers_;
    std::map<std::string, std::size_t, std::less<>> subscribed_; // topic -> subscribers to it
    native_fair_queue_t publishers_;
    std::vector<std::string_view> frames_; // the message being forwarded
};

} // namespace zd
