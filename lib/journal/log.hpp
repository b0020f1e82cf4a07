// The journal's log: a directory of append-only segment files named by their first offset,
// written in group commits and recovered at start. This is the durable heart of zd-journal
// (docs/JOURNAL.md, "On-disk format" and "Durability"). It owns no sockets and no threads:
// the device appends what arrived together, commits once, then acknowledges.
//
// Offsets are dense from 0 and never reused: an offset handed out by a commit that returned
// ok names the same record forever (or until retention deletes it).
//
// Not thread-safe: one thread appends, commits and reads.
#pragma once

#include "journal/record.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace zd::journal {

// When a commit makes records durable (what each risks: docs/JOURNAL.md).
enum class fsync_policy : std::uint8_t {
    always,   // one fdatasync per record: the device commits after every record
    batch,    // one fdatasync per commit (group commit; the default)
    interval, // write per commit, fdatasync at most every sync_interval: an OS crash loses up
              // to that much acknowledged data; a process crash loses nothing
    never,    // write only; the OS decides: an OS crash loses an unknown amount
};

struct log_options_t {
    std::filesystem::path dir;                         // created if missing
    std::uint64_t segment_bytes = 64ull * 1024 * 1024; // roll to a new segment past this
    std::uint32_t max_record_body = 16u * 1024 * 1024; // bigger records are refused
    fsync_policy policy = fsync_policy::batch;
    std::chrono::milliseconds sync_interval{1000}; // for fsync_policy::interval
    std::uint64_t retain_bytes = 0;                // 0 = no limit by size
    std::chrono::seconds retain_age{0};            // 0 = no limit by age
    bool repair = false; // recovery may quarantine damaged segments instead of refusing
    std::size_t max_producers = 100000; // dedup state kept for this many producer ids (LRU)
};

// What recovery found and did, for the start-up log line and STATS.
struct recovery_report_t {
    std::size_t segments = 0;
    std::uint64_t records = 0;
    std::uint64_t first_offset = 0;
    std::uint64_t next_offset = 0;
    std::uint64_t torn_bytes_cut = 0;     // bytes cut from the end of the last segment
    std::vector<std::string> quarantined; // files moved to DIR/quarantine/... (repair only)
    // Repair only: records whose bytes were damaged, by first offset and count (each replaced
    // by a quarantine marker, so its offset is never handed out again), and the sound records
    // after damage that stayed in service.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> damaged_records;
    std::uint64_t records_kept_after_damage = 0;
    std::string summary() const; // one line for the log
};

// Thrown by the constructor when recovery finds damage it must not repair silently
// (corruption before the last record, valid records after bad ones, a gap between segments)
// and repair is off. what() names the file, the byte position and what is wrong.
struct corruption_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The outcome of a write or sync. The hot path returns these instead of throwing.
enum class io_status : std::uint8_t {
    ok,
    disk_full, // ENOSPC/EDQUOT: the partial write was cut; records stay pending, retry later
    failed,    // EIO or any other write/fsync error: stop acknowledging and exit non-zero
};

struct commit_result_t {
    io_status status = io_status::ok;
    int error = 0;                  // errno when status != ok
    std::uint64_t durable_next = 0; // every offset below this is committed
};

// Where a producer's dedup state stands.
struct producer_state_t {
    std::uint64_t last_seq = 0; // highest sequence appended (committed or pending)
};

class log_t {
public:
    // Opens (creating if needed) and recovers the directory, takes an exclusive lock on
    // DIR/LOCK. Throws corruption_error (see above), std::system_error on I/O errors or
    // when another process holds the lock, std::invalid_argument for bad options.
    explicit log_t(log_options_t options);
    ~log_t();
    log_t(const log_t&) = delete;
    log_t& operator=(const log_t&) = delete;

    const recovery_report_t& recovery() const;

    // Appends one record to the pending batch (memory only) and returns its offset.
    // identity is who the transport authenticated as its sender (stored in the record; empty:
    // none). Returns nullopt when the record is larger than max_record_body, or an id or
    // identity field is longer than 255 bytes (caller refuses it).
    // Timestamps are made monotonic (never below the previous record's).
    std::optional<std::uint64_t> append(std::string_view producer_id, std::uint64_t seq,
                                        std::span<const std::string_view> frames,
                                        record_identity_t identity = {});

    // Writes the pending batch and syncs per policy. On ok, everything appended so far is
    // committed. On disk_full the partial write is cut and the batch stays pending (call
    // commit again later). On failed the log refuses further appends.
    commit_result_t commit();

    std::size_t pending_records() const;
    std::uint64_t pending_bytes() const;

    std::uint64_t first_offset() const; // oldest retained record
    std::uint64_t next_offset() const;  // what append will hand out next
    std::uint64_t durable_next() const; // every offset below this is committed
    std::uint64_t size_bytes() const;   // bytes of all segments

    // Dedup: the producer's state, or nullptr if unknown (never seen or evicted).
    const producer_state_t* producer(std::string_view producer_id) const;

    // The first committed offset whose timestamp is >= t (monotonic timestamps make this a
    // binary search), or durable_next() if none.
    std::uint64_t offset_for_time(std::int64_t timestamp_ns) const;

    // Deletes whole segments past retain_bytes/retain_age, oldest first, never the active
    // one and never one holding offsets >= keep_from (a durable consumer still needs them).
    // Returns the number of segments deleted.
    std::size_t apply_retention(std::uint64_t keep_from, std::chrono::system_clock::time_point now);

    // Sequential reads of committed records.
    class cursor_t;
    // A cursor at offset (clamped to [first_offset, durable_next]). Cursors must not outlive
    // the log; each keeps its own read buffer (pread, 256 KiB read-ahead).
    std::unique_ptr<cursor_t> open_cursor(std::uint64_t offset) const;

private:
    struct impl_t;
    std::unique_ptr<impl_t> impl_;
};

class log_t::cursor_t {
public:
    virtual ~cursor_t() = default;
    // The offset the next read returns.
    virtual std::uint64_t position() const = 0;
    // Reads the record at position() if it is committed, and advances. The view stays valid
    // until the next call on this cursor. nullopt at the committed end, or if the record was
    // deleted by retention (then position() jumps to first_offset of the log).
    virtual std::optional<record_view_t> next() = 0;
};

} // namespace zd::journal
