// Recovery of the log at start: scans the directory (recovery.hpp), refuses damage or, with
// repair, quarantines it, cuts a torn tail, and rebuilds what the log keeps in memory
// (segments, sparse indexes, the dedup table) from the records: only segment files are trusted.
#pragma once

#include "journal/log.hpp"
#include "journal/log_segment.hpp"
#include "journal/producer_table.hpp"

#include <cstdint>
#include <memory>
#include <vector>

namespace zd::journal {

// What the log starts from.
struct recovered_log_t {
    std::vector<std::shared_ptr<log_segment_t>> segments; // oldest first, at least one; the
                                                          // last is open for appends
    recovery_report_t report;
    std::uint64_t total_bytes = 0;      // of all segments
    std::int64_t last_timestamp_ns = 0; // the newest record's (0 if none)
};

// Recovers options.dir, which the caller has locked, noting every record's producer and
// sequence in producers. Throws corruption_error for damage that must not be repaired
// silently when options.repair is off (nothing is changed then), std::system_error on I/O
// errors.
recovered_log_t recover_log(const log_options_t& options, producer_table_t& producers);

} // namespace zd::journal
