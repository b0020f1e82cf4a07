#include "base/drop_events.hpp"

#include "base/events.hpp"
#include "base/json_writer.hpp"

#include <array>
#include <string_view>

namespace zd {

namespace {

constexpr std::array<std::string_view, 3> side_names{"frontend", "backend", "capture"};

} // namespace

proxy_drop_events_t::proxy_drop_events_t(const proxy_counters_t& counters)
    : counters_(counters), enabled_(events::enabled()) {}

proxy_drop_events_t::~proxy_drop_events_t() {
    if (!enabled_) return;
    poll(); // the latest counts, then whatever is still unreported
    publish(reporter_.flush());
}

void proxy_drop_events_t::poll() {
    if (!enabled_) return;
    // A side's drops are what its output refused: the frontend's are the backward direction's.
    const std::array<std::uint64_t, 3> totals{counters_.backend_to_frontend.dropped_messages,
                                              counters_.frontend_to_backend.dropped_messages,
                                              counters_.capture_dropped};
    publish(reporter_.update(totals, drop_reporter_t::clock::now()));
}

int proxy_drop_events_t::timeout_ms() const {
    if (!enabled_) return -1;
    const auto next = reporter_.next_due();
    if (next == drop_reporter_t::clock::time_point::max()) return -1;
    const auto now = drop_reporter_t::clock::now();
    if (next <= now) return 0;
    using namespace std::chrono;
    return int(duration_cast<milliseconds>(next - now).count()) + 1;
}

void proxy_drop_events_t::publish(const std::vector<drop_reporter_t::report_t>& reports) const {
    for (const auto& report : reports)
        events::emit("dropped", [&report](json_writer_t& json) {
            json.key("side").value(side_names[report.side]);
            json.key("dropped").value(report.dropped).key("total").value(report.total);
        });
}

} // namespace zd
