// The journal's log (see log.hpp). Appends encode into one reusable buffer; a commit is one
// write() of the whole batch and, per policy, one fdatasync, so a group of records costs two
// system calls. Recovery (log_recovery.hpp) rebuilds the sparse index, timestamps and the dedup
// table from the records themselves: nothing but the segment files is trusted.
#include "journal/log.hpp"

#include "journal/directory_lock.hpp"
#include "journal/log_recovery.hpp"
#include "journal/log_segment.hpp"
#include "journal/producer_table.hpp"
#include "journal/segment.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <system_error>
#include <unistd.h>

namespace zd::journal {
namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::system_clock;

std::int64_t now_ns() {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    return std::int64_t(now.tv_sec) * 1000000000 + now.tv_nsec;
}

bool is_disk_full(int error) {
    return error == ENOSPC || error == EDQUOT;
}

} // namespace

struct log_t::impl_t {
    class cursor_impl_t;
    log_options_t options;
    directory_lock_t lock;
    producer_table_t producers;
    recovery_report_t report;
    std::vector<std::shared_ptr<log_segment_t>> segments; // oldest first; back() is active
    std::uint64_t total_bytes = 0;

    // The pending batch.
    struct pending_t {
        std::uint64_t offset;
        std::size_t position; // in buffer
        std::int64_t timestamp_ns;
    };
    std::vector<char> buffer;
    std::vector<pending_t> pending;

    std::uint64_t next_offset = 0;
    std::uint64_t durable_next = 0;
    std::int64_t last_timestamp_ns = 0;
    int failed_error = 0; // errno of the write or sync that failed; the log is then read-only
    clock_type::time_point last_sync = clock_type::now();
    bool unsynced = false; // bytes written but not fdatasync'ed (interval, never)

    // Options are checked before anything touches the disk.
    explicit impl_t(log_options_t opts)
        : options(checked(std::move(opts))), lock(options.dir), producers(options.max_producers) {
        recovered_log_t recovered = recover_log(options, producers);
        report = std::move(recovered.report);
        segments = std::move(recovered.segments);
        total_bytes = recovered.total_bytes;
        last_timestamp_ns = recovered.last_timestamp_ns;
        next_offset = durable_next = segments.back()->next_offset;
    }

    static log_options_t checked(log_options_t options) {
        if (options.dir.empty()) throw std::invalid_argument("journal: no directory given");
        if (options.segment_bytes < 4096)
            throw std::invalid_argument("journal: segment size below 4096 bytes");
        if (options.max_record_body == 0 || options.max_record_body > max_record_body)
            throw std::invalid_argument("journal: max record body must be 1.." +
                                        std::to_string(max_record_body));
        if (options.max_producers == 0)
            throw std::invalid_argument("journal: max_producers must be at least 1");
        return options;
    }

    // --- commit -----------------------------------------------------------------------
    // Normally one write() and one fdatasync. A batch that would run far past the active
    // segment's size continues in a new segment: each part is written and synced before the
    // next segment is created, so segments stay near --segment-bytes whatever the batch size.
    commit_result_t commit() {
        if (failed_error) return {io_status::failed, failed_error, durable_next};
        if (pending.empty()) return {io_status::ok, 0, durable_next};
        std::size_t done_records = 0, done_bytes = 0;
        while (done_records < pending.size()) {
            if (segments.back()->size >= options.segment_bytes && !segments.back()->empty()) {
                if (const auto result = roll(); result.status != io_status::ok)
                    return keep_pending(done_records, done_bytes, result);
            }
            log_segment_t& active = *segments.back();
            const std::size_t end_record = part_end(active, done_records, done_bytes);
            const std::size_t end_bytes =
                end_record < pending.size() ? pending[end_record].position : buffer.size();
            if (const auto result =
                    write_part(active, done_records, end_record, done_bytes, end_bytes);
                result.status != io_status::ok)
                return keep_pending(done_records, done_bytes, result);
            done_records = end_record;
            done_bytes = end_bytes;
        }
        buffer.clear();
        pending.clear();
        return {io_status::ok, 0, durable_next};
    }

    // One past the last pending record, from first on, that goes into the active segment
    // (done_bytes of the buffer are written already). Records go in while the segment has
    // not passed its size where they start, so at least one does.
    std::size_t part_end(const log_segment_t& active, std::size_t first,
                         std::size_t done_bytes) const {
        std::size_t end = first + 1;
        while (end < pending.size() &&
               active.size + (pending[end].position - done_bytes) < options.segment_bytes)
            ++end;
        return end;
    }

    // Writes pending records [first, end), bytes [done_bytes, end_bytes) of the buffer, to
    // the active segment, syncs per policy, and counts them committed.
    commit_result_t write_part(log_segment_t& active, std::size_t first, std::size_t end,
                               std::size_t done_bytes, std::size_t end_bytes) {
        const std::size_t bytes = end_bytes - done_bytes;
        if (const int error = write_all(active.fd.get(), buffer.data() + done_bytes, bytes))
            return write_failed(active, error);
        unsynced = true;
        if (sync_due()) {
            if (::fdatasync(active.fd.get()) != 0) return write_failed(active, errno);
            unsynced = false;
            last_sync = clock_type::now();
        }
        for (std::size_t i = first; i < end; ++i)
            active.note(pending[i].offset, active.size + pending[i].position - done_bytes,
                        pending[i].timestamp_ns);
        active.size += bytes;
        active.next_offset = pending[end - 1].offset + 1;
        total_bytes += bytes;
        durable_next = active.next_offset;
        return {io_status::ok, 0, durable_next};
    }

    // After a failure part way through a batch: what was committed leaves the pending batch,
    // the rest stays for the next commit.
    commit_result_t keep_pending(std::size_t done_records, std::size_t done_bytes,
                                 commit_result_t result) {
        if (done_records > 0) {
            buffer.erase(buffer.begin(), buffer.begin() + std::ptrdiff_t(done_bytes));
            pending.erase(pending.begin(), pending.begin() + std::ptrdiff_t(done_records));
            for (auto& record : pending)
                record.position -= done_bytes;
        }
        result.durable_next = durable_next;
        return result;
    }

    bool sync_due() const {
        switch (options.policy) {
        case fsync_policy::always:
        case fsync_policy::batch:
            return true;
        case fsync_policy::interval:
            return clock_type::now() - last_sync >= options.sync_interval;
        case fsync_policy::never:
            return false;
        }
        return true;
    }

    // A failed write or sync. Disk full: cut whatever part of the batch reached the file
    // (the batch is rewritten whole from memory by the next commit, so pages the kernel
    // failed to write are never relied on). Anything else: the log stops for good — after
    // a failed fsync the page cache may claim data the disk never got (fsyncgate).
    commit_result_t write_failed(log_segment_t& active, int error) {
        if (is_disk_full(error)) {
            if (::ftruncate(active.fd.get(), off_t(active.size)) == 0)
                return {io_status::disk_full, error, durable_next};
            error = errno;
        }
        failed_error = error;
        return {io_status::failed, error, durable_next};
    }

    commit_result_t roll() {
        log_segment_t& old = *segments.back();
        // Even under `never`: a sealed segment is synced before a later one exists, so an OS
        // crash can only tear the last segment (a tail recovery cuts), never an earlier one.
        if (unsynced) {
            if (::fdatasync(old.fd.get()) != 0) return write_failed(old, errno);
            unsynced = false;
        }
        std::shared_ptr<log_segment_t> segment;
        if (const int error =
                create_log_segment(options.dir, durable_next, options.policy, segment)) {
            if (is_disk_full(error)) return {io_status::disk_full, error, durable_next};
            failed_error = error;
            return {io_status::failed, error, durable_next};
        }
        segments.push_back(std::move(segment));
        // The sealed segment is only read from now on; its descriptor stays as it is.
        return {io_status::ok, 0, durable_next};
    }

    // --- reads ------------------------------------------------------------------------
    std::uint64_t first_offset() const { return segments.front()->first_offset; }

    // The segment holding offset (which must be in [first_offset, durable_next)).
    std::shared_ptr<log_segment_t> segment_for(std::uint64_t offset) const {
        auto it = std::upper_bound(
            segments.begin(), segments.end(), offset,
            [](std::uint64_t value, const auto& segment) { return value < segment->first_offset; });
        if (it == segments.begin()) return nullptr;
        return *std::prev(it);
    }

    std::uint64_t offset_for_time(std::int64_t timestamp_ns) const {
        // First segment whose last record is at or after the time.
        auto it = std::partition_point(segments.begin(), segments.end(), [&](const auto& s) {
            return s->empty() || s->last_timestamp_ns < timestamp_ns;
        });
        if (it == segments.end()) return durable_next;
        return (*it)->offset_for_time(timestamp_ns);
    }
};

// A cursor: pread through its own buffer, committed bytes only.
class log_t::impl_t::cursor_impl_t final : public log_t::cursor_t {
public:
    cursor_impl_t(const log_t::impl_t& log, std::uint64_t offset) : log_(log), position_(offset) {}

    std::uint64_t position() const override { return position_; }

    // Quarantine markers (offsets whose records --repair could not save) are skipped: the
    // reader sees the offsets jump over them.
    std::optional<record_view_t> next() override {
        while (true) {
            if (!read_next()) return std::nullopt;
            if (!is_quarantine_marker(record_)) return record_;
        }
    }

private:
    bool read_next() {
        if (position_ < log_.first_offset()) { // deleted by retention
            position_ = log_.first_offset();
            segment_.reset();
            return false;
        }
        if (position_ >= log_.durable_next) return false;
        if (!segment_ || position_ < segment_->first_offset || position_ >= segment_->next_offset ||
            position_ != expected_)
            locate();
        const auto status = segment_->read_at(reader_, file_position_, record_);
        if (status != decode_status::ok) segment_->damaged(file_position_, describe(status));
        if (record_.meta.offset != position_)
            segment_->damaged(file_position_, "offset " + std::to_string(record_.meta.offset) +
                                                  " where " + std::to_string(position_) +
                                                  " was expected");
        file_position_ += record_.encoded_size;
        expected_ = ++position_;
        return true;
    }

    // Finds the segment and byte position of position_: index entry, then header hops.
    void locate() {
        auto segment = log_.segment_for(position_);
        if (segment != segment_) reader_.reset();
        segment_ = std::move(segment);
        file_position_ = segment_->position_of(position_, reader_);
        expected_ = position_;
    }

    const log_t::impl_t& log_;
    std::uint64_t position_;
    std::uint64_t expected_ = ~0ull; // the offset file_position_ points at
    std::shared_ptr<log_segment_t> segment_;
    std::uint64_t file_position_ = 0;
    segment_reader_t reader_;
    record_view_t record_;
};

log_t::log_t(log_options_t options) : impl_(std::make_unique<impl_t>(std::move(options))) {}

log_t::~log_t() {
    // A clean stop syncs what the relaxed policies left unsynced.
    if (impl_ && impl_->unsynced && !impl_->failed_error && !impl_->segments.empty())
        ::fdatasync(impl_->segments.back()->fd.get());
}

const recovery_report_t& log_t::recovery() const {
    return impl_->report;
}

std::optional<std::uint64_t> log_t::append(std::string_view producer_id, std::uint64_t seq,
                                           std::span<const std::string_view> frames,
                                           record_identity_t identity) {
    auto& self = *impl_;
    if (self.failed_error || producer_id.size() > max_producer_id ||
        identity.user_id.size() > max_identity_field || identity.name.size() > max_identity_field)
        return std::nullopt;
    const std::size_t size = encoded_record_size(producer_id, frames, identity);
    if (size - record_header_size > self.options.max_record_body) return std::nullopt;
    const std::int64_t timestamp = std::max(now_ns(), self.last_timestamp_ns);
    self.last_timestamp_ns = timestamp;
    const std::uint64_t offset = self.next_offset;
    const std::size_t position = self.buffer.size();
    encode_record(self.buffer, {offset, timestamp, seq, producer_id, identity}, frames,
                  self.options.max_record_body);
    self.pending.push_back({offset, position, timestamp});
    ++self.next_offset;
    if (!producer_id.empty()) self.producers.touch(producer_id, seq);
    return offset;
}

commit_result_t log_t::commit() {
    return impl_->commit();
}

std::size_t log_t::pending_records() const {
    return impl_->pending.size();
}
std::uint64_t log_t::pending_bytes() const {
    return impl_->buffer.size();
}
std::uint64_t log_t::first_offset() const {
    return impl_->first_offset();
}
std::uint64_t log_t::next_offset() const {
    return impl_->next_offset;
}
std::uint64_t log_t::durable_next() const {
    return impl_->durable_next;
}
std::uint64_t log_t::size_bytes() const {
    return impl_->total_bytes;
}

const producer_state_t* log_t::producer(std::string_view producer_id) const {
    return impl_->producers.find(producer_id);
}

std::uint64_t log_t::offset_for_time(std::int64_t timestamp_ns) const {
    return impl_->offset_for_time(timestamp_ns);
}

std::size_t log_t::apply_retention(std::uint64_t keep_from,
                                   std::chrono::system_clock::time_point now) {
    auto& self = *impl_;
    const auto& options = self.options;
    const std::int64_t now_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
    const std::int64_t age_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(options.retain_age).count();
    std::size_t deleted = 0;
    while (self.segments.size() > 1) {
        log_segment_t& oldest = *self.segments.front();
        if (self.segments[1]->first_offset > keep_from) break; // still needed
        const bool too_big = options.retain_bytes && self.total_bytes > options.retain_bytes;
        const bool too_old = age_ns > 0 && oldest.last_timestamp_ns < now_ns - age_ns;
        if (!too_big && !too_old) break;
        if (::unlink(oldest.path.c_str()) != 0 && errno != ENOENT)
            throw std::system_error(errno, std::generic_category(),
                                    "cannot delete " + oldest.path.string());
        oldest.deleted = true;
        self.total_bytes -= oldest.size;
        self.segments.erase(self.segments.begin());
        ++deleted;
    }
    return deleted;
}

std::unique_ptr<log_t::cursor_t> log_t::open_cursor(std::uint64_t offset) const {
    offset = std::clamp(offset, impl_->first_offset(), impl_->durable_next);
    return std::make_unique<impl_t::cursor_impl_t>(*impl_, offset);
}

} // namespace zd::journal
