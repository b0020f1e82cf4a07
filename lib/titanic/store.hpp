// Titanic's durable state: every request, reply and close is one record in a journal log
// (lib/journal/log.hpp), and this class keeps the small in-memory index over it.
//
// Why a journal and not a file per request (the zguide's Titanic): a request is durable once
// its record is committed, many requests share one fdatasync (group commit), and a reply is
// one record, so a reader can never see half of it (the CRC rejects a torn one at recovery).
//
// Records (anonymous log records, frames): REQ uuid service body+ / REP uuid frame+ /
// CLOSE uuid. Recovery replays them in order: REQ makes an entry pending, REP makes it
// replied, CLOSE forgets it. Memory stays bounded: a request's frames are kept only while it
// is pending (to dispatch it); a reply is read back from the log by offset when asked.
// Retention deletes whole segments below the lowest offset still needed (a pending
// request's REQ, an unclosed reply's REP).
//
// Not thread-safe: one thread (the device's loop) owns it.
#pragma once

#include "journal/log.hpp"
#include "titanic/tsp.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace zd::titanic {

// What recovery found, besides the log's own report.
struct store_recovery_t {
    std::uint64_t records = 0; // records read
    std::uint64_t pending = 0; // requests without a reply (to dispatch again)
    std::uint64_t replied = 0; // replies not yet closed
    std::uint64_t ignored = 0; // records that are not Titanic's (wrong type, bad uuid)
    std::string summary() const;
};

enum class reply_status : std::uint8_t { replied, pending, unknown };

class store_t {
public:
    // Opens and recovers the log in options.dir (see log_t's constructor for what throws),
    // then rebuilds the index from its records. options.retain_bytes and retain_age are
    // overridden: Titanic deletes exactly what no entry needs any more (apply_retention).
    explicit store_t(journal::log_options_t options);

    const journal::recovery_report_t& log_recovery() const { return log_.recovery(); }
    const store_recovery_t& recovery() const { return recovery_; }

    // Appends a REQ record (not yet durable: commit()). frames = service, body+ (checked by
    // the caller). Returns the new request's UUID, or nullopt if the record would be larger
    // than the log's max_record_body.
    std::optional<std::string> add_request(std::span<const std::string_view> frames);

    // Appends the REP record of a pending request. Returns false (and appends no REP) when
    // the UUID is not pending any more (closed, already replied, unknown), or when the
    // record would be larger than max_record_body: then the request is closed instead
    // (titanic.reply answers 400) and counted in oversized_replies, since an idempotent
    // worker would give the same answer on every retry.
    bool add_reply(std::string_view uuid, std::span<const std::string_view> frames);

    // Appends a CLOSE record if the UUID is known (pending or replied) and forgets it.
    // Returns whether it was known. Idempotent.
    bool close(std::string_view uuid);

    // Makes everything appended durable (per the log's fsync policy); see log_t::commit.
    journal::commit_result_t commit() { return log_.commit(); }
    std::size_t uncommitted() const { return log_.pending_records(); }

    // titanic.reply: for a replied UUID fills frames with the stored reply. The reply must
    // be committed (call after commit()). Never throws for an unknown UUID.
    reply_status read_reply(std::string_view uuid, std::vector<std::string>& frames) const;

    // A pending request's frames (service, body+), or nullptr if it is not pending.
    const std::vector<std::string>* pending_request(std::string_view uuid) const;

    // Every pending request's UUID, oldest first (after recovery, to dispatch them again).
    std::vector<std::string> pending_uuids() const;

    std::size_t pending_count() const { return pending_count_; }
    std::size_t replied_count() const { return entries_.size() - pending_count_; }
    std::uint64_t oversized_replies() const { return oversized_replies_; }

    // The lowest offset a future recovery still needs.
    std::uint64_t keep_from() const;

    // Deletes the segments that hold only closed or superseded records, then, when most of
    // the log is garbage kept only because a few old entries pin it (one unclosed reply in
    // the oldest segment keeps every segment after it), copies up to budget of the oldest
    // live records forward (appends them again; the copies become durable with the next
    // commit, and the segments they leave are deleted by a later call). Does nothing while
    // uncommitted records exist, so a segment is never deleted before its copies are
    // durable. Returns the number of segments deleted.
    std::size_t apply_retention(std::chrono::system_clock::time_point now,
                                std::size_t budget = 10000);

    std::uint64_t live_bytes() const { return live_bytes_; } // encoded size of needed records
    std::uint64_t copied_forward() const { return copied_; }

    const journal::log_t& log() const { return log_; }

private:
    struct entry_t {
        std::uint64_t offset = 0; // REQ's offset while pending, then REP's
        std::uint64_t size = 0;   // that record's encoded size
        bool replied = false;
        std::vector<std::string> request; // service, body+ while pending; empty after
    };

    void recover();
    void apply(const journal::record_view_t& record);
    std::optional<std::uint64_t> append(std::string_view type, std::string_view uuid,
                                        std::span<const std::string_view> frames);

    journal::log_t log_;
    store_recovery_t recovery_;
    // Heterogeneous lookup: find() with a string_view allocates nothing.
    struct uuid_hash_t {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const {
            return std::hash<std::string_view>{}(text);
        }
    };
    std::unordered_map<std::string, entry_t, uuid_hash_t, std::equal_to<>> entries_;
    // Points entry at the record (offset, size) and keeps the index below in step.
    void point(entry_t& entry, const std::string& uuid, std::uint64_t offset, std::uint64_t size);
    void unpoint(const entry_t& entry);
    std::uint64_t segment_bytes_;
    std::map<std::uint64_t, std::string> needed_; // offset -> UUID of every record pointed at
    std::uint64_t live_bytes_ = 0;
    std::uint64_t copied_ = 0;
    std::size_t pending_count_ = 0;
    std::uint64_t oversized_replies_ = 0;
    std::vector<std::string_view> scratch_; // frame views for append, reused
    uuid_generator_t uuids_;
};

} // namespace zd::titanic
