// Salvaging a damaged segment for recovery with repair: every sound record stays in service
// at its own offset, the damaged bytes are cut out (the caller moves them to quarantine), and
// each record they held is replaced by a quarantine marker (record.hpp), so offsets stay
// dense and none is handed out twice. Bytes in, bytes out: the files are the caller's.
#pragma once

#include "journal/segment.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace zd::journal {

struct salvage_t {
    // False when the damage cannot be bounded: the sound record after it has an offset the
    // damaged bytes could not have held, or the next segment overlaps. The caller then
    // quarantines the segment and everything after it.
    bool ok = false;
    std::vector<char> bytes;                                        // the segment as it is kept
    std::vector<std::pair<std::uint64_t, std::uint64_t>> bad_bytes; // [from, to) in the original
    std::vector<std::pair<std::uint64_t, std::uint64_t>> damaged;   // (first offset, count)
    std::uint64_t kept_after_damage = 0; // sound records after the first damage
    std::uint64_t torn_bytes = 0;        // last segment only: bad bytes at its end, nothing after
};

// Rebuilds file's bytes. next_segment_offset: where the next segment starts (nullopt for the
// last segment, whose damaged end with nothing sound after it is a torn tail and is cut).
salvage_t salvage_segment(const segment_file_t& file, std::span<const char> bytes,
                          std::optional<std::uint64_t> next_segment_offset, std::uint32_t max_body);

} // namespace zd::journal
