// Titanic's durable state over the journal log (see store.hpp).
#include "titanic/store.hpp"

#include <algorithm>
#include <utility>

namespace zd::titanic {

std::string store_recovery_t::summary() const {
    return std::to_string(records) + " titanic records: " + std::to_string(pending) + " pending, " +
           std::to_string(replied) + " replied" +
           (ignored ? ", " + std::to_string(ignored) + " ignored (not titanic records)" : "");
}

namespace {

// retain_bytes = 1: every whole segment below keep_from() may go; the log never deletes the
// active segment or one holding an offset at or above keep_from().
journal::log_options_t with_titanic_retention(journal::log_options_t options) {
    options.retain_bytes = 1;
    options.retain_age = std::chrono::seconds(0);
    return options;
}

} // namespace

store_t::store_t(journal::log_options_t options)
    : log_(with_titanic_retention(options)), segment_bytes_(options.segment_bytes) {
    recover();
}

void store_t::point(entry_t& entry, const std::string& uuid, std::uint64_t offset,
                    std::uint64_t size) {
    entry.offset = offset;
    entry.size = size;
    needed_.emplace(offset, uuid);
    live_bytes_ += size;
}

void store_t::unpoint(const entry_t& entry) {
    needed_.erase(entry.offset);
    live_bytes_ -= entry.size;
}

void store_t::recover() {
    auto cursor = log_.open_cursor(log_.first_offset());
    while (const auto record = cursor->next()) {
        ++recovery_.records;
        apply(*record);
    }
    for (const auto& [uuid, entry] : entries_)
        ++(entry.replied ? recovery_.replied : recovery_.pending);
}

// One record read at recovery. Segments are deleted oldest first, so a REP may come without
// its REQ (deleted once superseded), but a CLOSE never outlives what it closes. A REQ or REP
// seen again for the same UUID is a copy made by apply_retention (same content): the later
// copy is the one to point at.
void store_t::apply(const journal::record_view_t& record) {
    const auto& frames = record.frames;
    const auto uuid = frames.size() >= 2 ? normalize_uuid(frames[1]) : std::nullopt;
    if (!uuid) {
        ++recovery_.ignored;
        return;
    }
    const std::string_view type = frames[0];
    const std::uint64_t offset = record.meta.offset;
    const std::uint64_t size = record.encoded_size;
    if (type == record_request && frames.size() >= 4) {
        auto [it, inserted] = entries_.try_emplace(*uuid);
        entry_t& entry = it->second;
        if (!inserted) {
            if (entry.replied) return; // a copy of a request already answered
            unpoint(entry);
        } else {
            entry.request.assign(frames.begin() + 2, frames.end());
            ++pending_count_;
        }
        point(entry, *uuid, offset, size);
    } else if (type == record_reply && frames.size() >= 3) {
        auto [it, inserted] = entries_.try_emplace(*uuid);
        entry_t& entry = it->second;
        if (!inserted) {
            unpoint(entry);
            if (!entry.replied) --pending_count_;
        }
        entry.replied = true;
        entry.request = {};
        point(entry, *uuid, offset, size);
    } else if (type == record_close && frames.size() == 2) {
        const auto it = entries_.find(*uuid);
        if (it == entries_.end()) return;
        unpoint(it->second);
        if (!it->second.replied) --pending_count_;
        entries_.erase(it);
    } else {
        ++recovery_.ignored;
    }
}

std::optional<std::uint64_t> store_t::append(std::string_view type, std::string_view uuid,
                                             std::span<const std::string_view> frames) {
    scratch_.clear();
    scratch_.push_back(type);
    scratch_.push_back(uuid);
    scratch_.insert(scratch_.end(), frames.begin(), frames.end());
    // Anonymous records (no producer id, sequence 0): Titanic needs no producer dedup.
    return log_.append({}, 0, scratch_);
}

std::optional<std::string> store_t::add_request(std::span<const std::string_view> frames) {
    std::string uuid = uuids_.next();
    while (entries_.contains(uuid)) // 2^-128 per pair; cheap insurance against a bad seed
        uuid = uuids_.next();
    const auto offset = append(record_request, uuid, frames);
    if (!offset) return std::nullopt;
    const auto it = entries_.try_emplace(uuid).first;
    it->second.request.assign(frames.begin(), frames.end());
    point(it->second, it->first, *offset, journal::encoded_record_size({}, scratch_));
    ++pending_count_;
    return uuid;
}

bool store_t::add_reply(std::string_view uuid, std::span<const std::string_view> frames) {
    const auto it = entries_.find(uuid);
    if (it == entries_.end() || it->second.replied) return false;
    const auto offset = append(record_reply, uuid, frames);
    if (!offset) {
        ++oversized_replies_;
        close(uuid);
        return false;
    }
    unpoint(it->second);
    --pending_count_;
    it->second.replied = true;
    it->second.request = {};
    point(it->second, it->first, *offset, journal::encoded_record_size({}, scratch_));
    return true;
}

bool store_t::close(std::string_view uuid) {
    const auto it = entries_.find(uuid);
    if (it == entries_.end()) return false;
    append(record_close, uuid, {});
    unpoint(it->second);
    if (!it->second.replied) --pending_count_;
    entries_.erase(it);
    return true;
}

reply_status store_t::read_reply(std::string_view uuid, std::vector<std::string>& frames) const {
    frames.clear();
    const auto it = entries_.find(uuid);
    if (it == entries_.end()) return reply_status::unknown;
    if (!it->second.replied) return reply_status::pending;
    auto cursor = log_.open_cursor(it->second.offset);
    const auto record = cursor->next();
    // The index only points at committed REP records that retention keeps; anything else is
    // a bug or outside interference with the directory: report it as not available yet
    // rather than serve something that is not this request's reply.
    if (!record || record->meta.offset != it->second.offset || record->frames.size() < 3 ||
        record->frames[0] != record_reply || record->frames[1] != uuid)
        return reply_status::pending;
    frames.assign(record->frames.begin() + 2, record->frames.end());
    return reply_status::replied;
}

const std::vector<std::string>* store_t::pending_request(std::string_view uuid) const {
    const auto it = entries_.find(uuid);
    if (it == entries_.end() || it->second.replied) return nullptr;
    return &it->second.request;
}

std::vector<std::string> store_t::pending_uuids() const {
    std::vector<std::string> uuids;
    uuids.reserve(pending_count_);
    for (const auto& [offset, uuid] : needed_) // offset order: oldest first
        if (!entries_.find(uuid)->second.replied) uuids.push_back(uuid);
    return uuids;
}

std::uint64_t store_t::keep_from() const {
    return needed_.empty() ? log_.next_offset() : needed_.begin()->first;
}

std::size_t store_t::apply_retention(std::chrono::system_clock::time_point now,
                                     std::size_t budget) {
    if (log_.pending_records() > 0) return 0; // copies not durable yet: delete nothing
    const std::size_t deleted = log_.apply_retention(keep_from(), now);
    // Copy forward only when the log is several segments long and mostly garbage, so the
    // extra writes stay a fraction of what is freed.
    const std::uint64_t size = log_.size_bytes();
    if (size <= 4 * segment_bytes_ || live_bytes_ * 2 >= size) return deleted;
    const std::uint64_t cutoff =
        log_.first_offset() + (log_.next_offset() - log_.first_offset()) / 2;
    std::vector<std::string> reply_frames;
    std::vector<std::string_view> views;
    while (budget-- > 0 && !needed_.empty() && needed_.begin()->first < cutoff) {
        const std::string uuid = needed_.begin()->second;
        entry_t& entry = entries_.find(uuid)->second;
        if (entry.replied) {
            if (read_reply(uuid, reply_frames) != reply_status::replied) break; // cannot happen
            views.assign(reply_frames.begin(), reply_frames.end());
        } else {
            views.assign(entry.request.begin(), entry.request.end());
        }
        const auto offset = append(entry.replied ? record_reply : record_request, uuid, views);
        if (!offset) break; // it fitted before, so it fits now; never loop on it
        unpoint(entry);
        point(entry, uuid, *offset, journal::encoded_record_size({}, scratch_));
        ++copied_;
    }
    return deleted;
}

} // namespace zd::titanic
