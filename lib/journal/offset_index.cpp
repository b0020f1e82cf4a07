// A segment's sparse index (see offset_index.hpp): entries in offset order, so both offsets
// and (monotonic) timestamps are found by binary search.
#include "journal/offset_index.hpp"

#include <algorithm>
#include <iterator>

namespace zd::journal {

void offset_index_t::note(const index_entry_t& record) {
    if (entries_.empty() || record.position - entries_.back().position >= every_bytes ||
        record.offset - entries_.back().offset >= every_records)
        entries_.push_back(record);
}

std::optional<index_entry_t> offset_index_t::at_or_before(std::uint64_t offset) const {
    const auto after = std::upper_bound(
        entries_.begin(), entries_.end(), offset,
        [](std::uint64_t value, const index_entry_t& entry) { return value < entry.offset; });
    if (after == entries_.begin()) return std::nullopt;
    return *std::prev(after);
}

std::optional<index_entry_t> offset_index_t::last_before(std::int64_t timestamp_ns) const {
    const auto after =
        std::partition_point(entries_.begin(), entries_.end(), [&](const index_entry_t& entry) {
            return entry.timestamp_ns < timestamp_ns;
        });
    if (after == entries_.begin()) return std::nullopt;
    return *std::prev(after);
}

} // namespace zd::journal
