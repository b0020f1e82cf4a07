// One segment as the log keeps it in memory: its open file, committed size, offsets,
// timestamps and sparse index, and the reads within it. Shared with cursors, so a cursor
// reading a segment that retention deletes keeps a valid descriptor until it moves on.
#pragma once

#include "journal/log.hpp"
#include "journal/offset_index.hpp"
#include "journal/record.hpp"
#include "journal/segment.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace zd::journal {

struct log_segment_t {
    std::uint64_t first_offset = 0;
    std::filesystem::path path;
    file_t fd;
    std::uint64_t size = 0;        // committed bytes
    std::uint64_t next_offset = 0; // one past the last committed record
    std::int64_t first_timestamp_ns = 0;
    std::int64_t last_timestamp_ns = 0;
    offset_index_t index;
    bool deleted = false; // removed by retention

    bool empty() const { return next_offset == first_offset; }

    // Notes a record just committed at byte position: timestamps and index.
    void note(std::uint64_t offset, std::uint64_t position, std::int64_t timestamp_ns);

    // Reads the record at byte position through reader, never past the committed size.
    decode_status read_at(segment_reader_t& reader, std::uint64_t position,
                          record_view_t& record) const;

    // The byte position of offset (in [first_offset, next_offset)): the index entry at or
    // before it, then record header to record header. Throws corruption_error.
    std::uint64_t position_of(std::uint64_t offset, segment_reader_t& reader) const;

    // The first offset here whose timestamp is >= timestamp_ns, or next_offset if none.
    // Throws corruption_error.
    std::uint64_t offset_for_time(std::int64_t timestamp_ns) const;

    // Throws corruption_error naming this segment's file, the byte position and what.
    [[noreturn]] void damaged(std::uint64_t position, const std::string& what) const;
};

// Creates the empty segment file of first_offset in dir, its directory entry synced unless
// policy is never, and sets created. Returns 0, or the errno that stopped it (no file is
// left behind then). Never throws: a roll in the middle of a commit uses it.
int create_log_segment(const std::filesystem::path& dir, std::uint64_t first_offset,
                       fsync_policy policy, std::shared_ptr<log_segment_t>& created);

} // namespace zd::journal
