// One STATS JSON object (docs/ARCHITECTURE.md, "STATS") in Prometheus' text exposition
// format, version 0.0.4: what GET /metrics serves. Socketless, so every device's STATS can
// be checked without running it. The mapping is data (metric_table.hpp); this file walks the
// JSON, applies it and writes families grouped, each with its # HELP and # TYPE.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace zd::ops {

// The content type GET /metrics answers with.
inline constexpr std::string_view prometheus_content_type = "text/plain; version=0.0.4";

struct prometheus_text_t {
    std::string text; // the exposition, every line ending in '\n'
    // Paths (table notation: "broker.services.*.x") of members the table does not know,
    // each once. Numeric and boolean ones are still exported, as zd_stats_unmapped; text,
    // null and the like cannot be and are only listed here.
    std::vector<std::string> unmapped;
};

// Converts one STATS object. Every sample is labelled device="<its device member>"; entries
// of a collection (zd-broker's services, zd-journal's consumers) are labelled with their
// name (service="echo", consumer="billing"). Throws std::invalid_argument, naming the
// position, if stats_json is not valid JSON or not an object. Thread-safe (no shared state).
prometheus_text_t prometheus_text(std::string_view stats_json);

// A label value as the exposition format writes it between its quotes: backslash, double
// quote and line feed escaped as \\, \" and \n.
std::string escape_label_value(std::string_view text);

// HELP text as the format writes it: backslash and line feed escaped.
std::string escape_help(std::string_view text);

} // namespace zd::ops
