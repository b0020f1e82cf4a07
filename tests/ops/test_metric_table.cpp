// The metric table (lib/ops/metric_table.cpp) keeps Prometheus' naming guide and its own
// rules: one name, one type and one meaning; counters end in _total; base units.
#include "ops/metric_table.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <set>

using namespace zd::ops;

namespace {
bool is_metric(const metric_entry_t& entry) {
    return entry.use == member_use::counter || entry.use == member_use::gauge;
}
} // namespace

TEST_CASE("metric names follow Prometheus' naming guide", "[ops]") {
    const std::regex valid("zd_[a-z0-9_]*[a-z0-9]");
    for (const auto& entry : metric_table()) {
        if (!is_metric(entry) && entry.use != member_use::state) continue;
        INFO(entry.path << " -> " << entry.name);
        CHECK(std::regex_match(std::string(entry.name), valid));
        CHECK(entry.name.ends_with("_total") == (entry.use == member_use::counter));
        CHECK(!entry.help.empty());
        // Base units: seconds and bytes, never milliseconds or kilobytes.
        CHECK(entry.name.find("_ms") == std::string_view::npos);
        CHECK(entry.name.find("milli") == std::string_view::npos);
        if (entry.path.ends_with("bytes"))
            CHECK((entry.name.ends_with("_bytes") || entry.name.ends_with("_bytes_total")));
        if (entry.path.ends_with("_ms")) {
            CHECK(entry.name.ends_with("_seconds"));
            CHECK(entry.conversion == unit_conversion::milliseconds_to_seconds);
        }
    }
}

TEST_CASE("one metric name has one type and one meaning across devices", "[ops]") {
    std::map<std::string_view, const metric_entry_t*> first;
    std::set<std::pair<std::string_view, std::string_view>> fixed_labels;
    for (const auto& entry : metric_table()) {
        if (!is_metric(entry)) continue;
        INFO(entry.path << " -> " << entry.name);
        const auto [it, inserted] = first.try_emplace(entry.name, &entry);
        if (!inserted) {
            CHECK(it->second->use == entry.use);
            CHECK(it->second->help == entry.help);
            CHECK(it->second->label_name == entry.label_name);
            CHECK(!entry.label_name.empty()); // else two members would write one series
        }
        if (!entry.label_name.empty())
            CHECK(fixed_labels.insert({entry.name, entry.label_value}).second);
    }
    CHECK(first.count(unmapped_metric_name) == 0);
}

TEST_CASE("every path is in the table once, and a collection's entries have its label", "[ops]") {
    std::set<std::string_view> paths;
    for (const auto& entry : metric_table()) {
        INFO(entry.path);
        CHECK(paths.insert(entry.path).second);
        CHECK(find_metric_entry(entry.path) == &entry);
        if (entry.use == member_use::collection) {
            CHECK(!entry.name.empty()); // the label's name
            if (!entry.key_member.empty())
                CHECK(find_metric_entry(std::string(entry.path) + "[]." +
                                        std::string(entry.key_member)) != nullptr);
        }
        if (entry.use == member_use::not_a_metric) CHECK(!entry.help.empty()); // says why
    }
    CHECK(find_metric_entry("no.such.member") == nullptr);
}
