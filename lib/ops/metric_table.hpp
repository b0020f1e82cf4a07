// What every STATS member becomes in Prometheus: the one table prometheus_text reads, so a
// new member is one line here (and one row in docs/METRICS.md), not new code. Names follow
// Prometheus' naming guide: the prefix zd_, base units (seconds, bytes), counters ending in
// _total, and one name per meaning across devices (the device label tells them apart).
#pragma once

#include <span>
#include <string_view>

namespace zd::ops {

// How a member is used.
enum class member_use {
    counter,      // a metric of type counter (only ever grows while the device runs)
    gauge,        // a metric of type gauge (goes up and down)
    device_label, // the device label on every sample ("device")
    state,        // zd_state: one sample per known state, 1 for the current one
    info_label,   // a label of zd_info (version, engine)
    collection,   // an object keyed by name, or an array of objects: its entries are labelled
    not_a_metric, // text that describes the configuration, not a measurement (endpoints, dirs)
};

// How a member's number becomes the sample's value.
enum class unit_conversion {
    none,
    milliseconds_to_seconds, // uptime_ms -> zd_uptime_seconds: base units
};

// One STATS member. Paths join member names with '.', name an object keyed by names with
// '*' ("broker.services.*.queued") and an array's elements with "[]" ("consumers[].window").
struct metric_entry_t {
    std::string_view path;
    member_use use;
    // counter/gauge: the metric name; info_label, collection: the label's name;
    // not_a_metric: empty.
    std::string_view name;
    // counter/gauge: the HELP text; not_a_metric: why it is not exported.
    std::string_view help;
    // A fixed label this member's samples carry, e.g. side="frontend" (empty: none).
    std::string_view label_name = {};
    std::string_view label_value = {};
    unit_conversion conversion = unit_conversion::none;
    // collection of an array: the member of each element whose text is the label's value
    // ("name" for zd-journal's consumers); empty for an object keyed by names.
    std::string_view key_member = {};
};

// Every member of every device's STATS, in the order metrics are written.
std::span<const metric_entry_t> metric_table();

// The entry for path, or nullptr if the table does not know it.
const metric_entry_t* find_metric_entry(std::string_view path);

// What a numeric member the table does not know becomes, so it is never lost: an untyped
// sample of this name with label member="<path>" (and the labels of the collections it is
// in). prometheus_text also reports the path as unmapped, and the tests fail on it.
inline constexpr std::string_view unmapped_metric_name = "zd_stats_unmapped";

// zd_state's known states: each is written with 1 or 0, so "state is paused" is a query
// that holds while it lasts, not a series that appears and vanishes.
std::span<const std::string_view> known_states();

} // namespace zd::ops
