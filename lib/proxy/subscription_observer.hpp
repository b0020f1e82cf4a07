// The libzmq forwarder's subscription count: a proxy observer that reads the subscription
// messages the XPUB hands upstream into a subscription_table_t (STATS "subscriptions",
// SUBSCRIPTIONS), and passes everything on to the observer it wraps (the last-value cache),
// if any. Publications are not looked at unless the wrapped observer wants them.
#pragma once

#include "base/subscription_table.hpp"
#include "proxy/proxy.hpp"

#include <memory>

namespace zd {

// table must outlive the observer; inner may be null.
std::unique_ptr<proxy_observer_t>
make_subscription_observer(subscription_table_t& table, std::unique_ptr<proxy_observer_t> inner);

} // namespace zd
