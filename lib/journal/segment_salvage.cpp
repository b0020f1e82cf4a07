// Segment salvage for --repair (see segment_salvage.hpp). Records carry their own CRC, so a
// sound record after damage is trusted as any other; what cannot be trusted is an offset
// jump the damaged bytes could not account for (each record takes at least a header).
#include "journal/segment_salvage.hpp"

#include "journal/record.hpp"
#include "journal/recovery.hpp"

#include <algorithm>
#include <string>

namespace zd::journal {
namespace {

// How many records damaged bytes can have held at most.
std::uint64_t records_that_fit(std::uint64_t bytes) {
    return bytes / record_header_size;
}

// The next sound record after damage at from whose offset the damaged bytes can explain:
// its byte position and offset, or nullopt.
std::optional<std::pair<std::size_t, std::uint64_t>>
next_plausible_record(std::span<const char> bytes, std::size_t from, std::uint64_t expected,
                      std::uint32_t max_body) {
    record_view_t record;
    for (std::size_t at = from + 1;; ++at) {
        at = find_sound_record(bytes, at, expected, max_body);
        if (at == std::string::npos) return std::nullopt;
        decode_record_into(bytes.subspan(at), record, max_body);
        if (record.meta.offset - expected <= records_that_fit(at - from))
            return std::pair{at, record.meta.offset};
    }
}

void append_markers(std::vector<char>& out, std::uint64_t first, std::uint64_t end,
                    std::int64_t timestamp_ns) {
    for (std::uint64_t offset = first; offset < end; ++offset)
        encode_record(out, {offset, timestamp_ns, 0, quarantine_marker_id}, {});
}

} // namespace

salvage_t salvage_segment(const segment_file_t& file, std::span<const char> bytes,
                          std::optional<std::uint64_t> next_segment_offset,
                          std::uint32_t max_body) {
    salvage_t salvage;
    salvage.bytes.reserve(bytes.size());
    std::uint64_t expected = file.first_offset;
    std::int64_t last_timestamp = 0;
    bool damaged = false;
    record_view_t record;
    std::size_t position = 0;
    while (position < bytes.size()) {
        const auto status = decode_record_into(bytes.subspan(position), record, max_body);
        if (status == decode_status::ok && record.meta.offset == expected) {
            const auto* start = bytes.data() + position;
            salvage.bytes.insert(salvage.bytes.end(), start, start + record.encoded_size);
            last_timestamp = record.meta.timestamp_ns;
            if (damaged) ++salvage.kept_after_damage;
            ++expected;
            position += record.encoded_size;
            continue;
        }
        damaged = true;
        std::uint64_t resume_offset = 0;
        std::size_t resume_at = bytes.size();
        if (const auto next = next_plausible_record(bytes, position, expected, max_body)) {
            std::tie(resume_at, resume_offset) = *next;
            if (!last_timestamp) { // markers take the timestamp of the record after them
                decode_record_into(bytes.subspan(resume_at), record, max_body);
                last_timestamp = record.meta.timestamp_ns;
            }
        } else if (!next_segment_offset) { // the last segment's end: a torn tail, cut
            salvage.torn_bytes = bytes.size() - position;
            break;
        } else if (*next_segment_offset < expected ||
                   *next_segment_offset - expected > records_that_fit(bytes.size() - position)) {
            return salvage; // not ok: cannot be bounded
        } else {
            resume_offset = *next_segment_offset;
        }
        salvage.bad_bytes.emplace_back(position, resume_at);
        if (resume_offset > expected)
            salvage.damaged.emplace_back(expected, resume_offset - expected);
        append_markers(salvage.bytes, expected, resume_offset, last_timestamp);
        expected = resume_offset;
        position = resume_at;
    }
    salvage.ok = true;
    return salvage;
}

} // namespace zd::journal
