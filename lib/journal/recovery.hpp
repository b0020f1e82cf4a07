// Read-only scan of a journal directory: checks every record's CRC and offset, every
// segment's place in the sequence, and classifies what it finds. The log recovers with it at
// start (cutting a torn tail, refusing or quarantining damage); zd-journal-tool verifies with
// it. Scanning never changes a file: the changes recovery makes are in log_recovery.hpp.
#pragma once

#include "journal/record.hpp"
#include "journal/segment.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace zd::journal {

// What one segment holds, as far as it is sound.
struct segment_scan_t {
    segment_file_t file;
    std::uint64_t file_size = 0;
    std::uint64_t valid_bytes = 0; // the prefix of whole, sound, in-sequence records
    std::uint64_t records = 0;
    std::uint64_t next_offset = 0; // first_offset + records
    std::int64_t first_timestamp_ns = 0;
    std::int64_t last_timestamp_ns = 0;
};

enum class problem_kind : std::uint8_t {
    none,
    torn_tail,  // the last segment ends in an incomplete or bad record with nothing valid
                // after it: what a crash mid-write leaves; cut silently
    corruption, // anything else: damage before sound records, damage in a segment that is
                // not the last, a gap or overlap between segments
};

struct scan_problem_t {
    problem_kind kind = problem_kind::none;
    std::size_t segment = 0;    // index into directory_scan_t::segments
    std::uint64_t position = 0; // byte position of the damage in that file
    std::string what;           // "FILE: byte N: ..." for messages and reports
};

struct directory_scan_t {
    std::vector<segment_scan_t> segments; // in offset order; scanning stops at a corruption
    scan_problem_t problem;
    std::uint64_t records = 0;
};

// Called for every sound record in order: the segment's index in the scan, the record and
// its byte position in the file.
using scan_visitor_t =
    std::function<void(std::size_t segment, const record_view_t& record, std::uint64_t position)>;

// Scans the segment files of dir in offset order. Stops at the first corruption (segments
// after it are listed in skipped_files by the caller's own listing if it needs them).
// Throws std::system_error if a file cannot be read.
directory_scan_t scan_directory(const std::filesystem::path& dir, std::uint32_t max_body,
                                const scan_visitor_t& visit = {});

// Scans one segment file's bytes (already in memory) starting at expected offset first.
// Returns the sound prefix; fills problem (kind torn_tail if nothing sound follows the
// damage, corruption otherwise) when the bytes do not end cleanly.
segment_scan_t
scan_segment_bytes(const segment_file_t& file, std::span<const char> bytes, std::uint32_t max_body,
                   scan_problem_t& problem,
                   const std::function<void(const record_view_t&, std::uint64_t)>& visit = {});

// The byte position of the first sound record (magic, length, CRC, structure) at or after
// from in bytes whose offset is at least min_offset, or std::string::npos.
std::size_t find_sound_record(std::span<const char> bytes, std::size_t from,
                              std::uint64_t min_offset, std::uint32_t max_body);

} // namespace zd::journal
