// The libzmq forwarder's subscription count: a proxy observer that reads the subscription
// messages the XPUB hands upstream into a subscription_table_t (STATS "subscriptions",
// SUBSCRIPTIONS), and passes everything on to the observer it wraps (the last-value cache),
// if any. Publications are not looked at unless the wrapped observer wants them. It is also
// where the libzmq forwarder notices a cycle: its own loop probe coming back from downstream.
#pragma once

#include "base/loop_probe.hpp"
#include "base/subscription_table.hpp"
#include "proxy/proxy.hpp"

#include <memory>

namespace zd {

// table and loop_probe must outlive the observer; inner may be null. The observer throws
// subscription_loop_error (out of the proxy loop: the device exits 1) when loop_probe's own
// topic arrives from downstream.
std::unique_ptr<proxy_observer_t>
make_subscription_observer(subscription_table_t& table, const loop_probe_t& loop_probe,
                           std::unique_ptr<proxy_observer_t> inner);

} // namespace zd
