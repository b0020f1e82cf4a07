// Cycle detection for chained forwarders. Each forwarder subscribes upstream to a reserved
// topic that names it, "\xffzd-loop:" and 16 random hex digits (its probe). Forwarders pass
// the first subscription to a topic upstream, so a probe travels up every path from its
// forwarder; in a tree it ends at the publishers (which never publish such a topic), but in a
// cycle it comes back to its own forwarder's downstream side. That forwarder then refuses to
// run: a cycle would carry every publication round it forever (docs/TOPOLOGIES.md).
//
// Probes are not subscribers' topics: the subscription table leaves them out (STATS,
// SUBSCRIPTIONS), the native forwarder keeps them apart from the topics it matches
// publications against, and the cache covers none. Socketless.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace zd {

// Every probe starts with it: 0xff never starts UTF-8 text, so no ordinary topic collides.
inline constexpr std::string_view loop_probe_prefix = "\xffzd-loop:";

// Whether topic is a probe (ours or another forwarder's).
inline bool is_loop_probe(std::string_view topic) {
    return topic.starts_with(loop_probe_prefix);
}

// The forwarder found its own probe coming back: its subscriptions go round a cycle.
class subscription_loop_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class loop_probe_t {
public:
    // A probe with a fresh random id. Throws std::runtime_error if no randomness is available.
    loop_probe_t();

    // The reserved topic to subscribe upstream to.
    const std::string& topic() const { return topic_; }

    // Checks a subscription that arrived from downstream: throws subscription_loop_error
    // (naming the cycle and what to do) if it is this forwarder's own probe.
    void check_downstream(std::string_view topic) const;

private:
    std::string topic_;
};

} // namespace zd
