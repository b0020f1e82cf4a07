// The sparse index of one segment: an entry (offset, byte position, timestamp) every 4 KiB or
// every 64 records, so a reader opening at any offset or time reads at most that much before
// it. Memory only: recovery rebuilds it from the records, nothing on disk is trusted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace zd::journal {

struct index_entry_t {
    std::uint64_t offset;
    std::uint64_t position; // of the record's first byte in its segment file
    std::int64_t timestamp_ns;
};

class offset_index_t {
public:
    static constexpr std::uint64_t every_bytes = 4096;
    static constexpr std::uint64_t every_records = 64;

    // Notes a record written at record.position, in offset order. It becomes an entry if it
    // is the first, or every_bytes or every_records past the last entry.
    void note(const index_entry_t& record);

    // The last entry at or before offset, or nullopt if there is none.
    std::optional<index_entry_t> at_or_before(std::uint64_t offset) const;

    // The last entry older than timestamp_ns, or nullopt if there is none. Timestamps must
    // be monotonic (the log makes them so).
    std::optional<index_entry_t> last_before(std::int64_t timestamp_ns) const;

    std::size_t size() const { return entries_.size(); }

private:
    std::vector<index_entry_t> entries_; // in offset order
};

} // namespace zd::journal
