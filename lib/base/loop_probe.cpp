#include "base/loop_probe.hpp"

#include <cstdint>
#include <cstdio>
#include <random>

namespace zd {

loop_probe_t::loop_probe_t() {
    std::random_device random;
    const std::uint64_t id = std::uint64_t(random()) << 32 | random();
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(id));
    topic_ = std::string(loop_probe_prefix) + hex;
}

void loop_probe_t::check_downstream(std::string_view topic) const {
    if (topic != topic_) return;
    throw subscription_loop_error(
        "subscription loop: this forwarder's own subscriptions came back to it from "
        "downstream, so the forwarders are chained in a cycle, which would carry every "
        "publication round it forever; refusing to run (make the chain a tree: "
        "docs/TOPOLOGIES.md, 'Pub/sub trees')");
}

} // namespace zd
