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
    : log_(with_titanic_retention(std::move(options))) {
    recover();
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
// its REQ (deleted once superseded), but a CLOSE never outlives what it closes.
void store_t::apply(const journal::record_view_t& record) {
    const auto& frames = record.frames;
    const auto uuid = frames.size() >= 2 ? normalize_uuid(frames[1]) : std::nullopt;
    if (!uuid) {
        ++recovery_.ignored;
        return;
    }
    const std::string_view type = frames[0];
    const std::uint64_t offset = record.meta.offset;
    if (type == record_request && frames.size() >= 4) {
        auto [it, inserted] = entries_.try_emplace(*uuid);
        if (!inserted) { // a UUID reused: keep the first (cannot happen with random UUIDs)
            ++recovery_.ignored;
            return;
        }
        it->second.offset = offset;
        it->second.request.assign(frames.begin() + 2, frames.end());
        needed_.insert(offset);
        ++pending_count_;
    } else if (type == record_reply && frames.size() >= 3) {
        auto [it, inserted] = entries_.try_emplace(*uuid);
        entry_t& entry = it->second;
        if (!inserted) {
            if (entry.replied) return; // the first reply stands
            needed_.erase(entry.offset);
            --pending_count_;
        }
        entry.offset = offset;
        entry.replied = true;
        entry.request = {};
        needed_.insert(offset);
    } else if (type == record_close && frames.size() == 2) {
        const auto it = entries_.find(*uuid);
        if (it == entries_.end()) return;
        needed_.erase(it->second.offset);
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
    entry_t& entry = entries_[uuid];
    entry.offset = *offset;
    entry.request.assign(frames.begin(), frames.end());
    needed_.insert(*offset);
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
    needed_.erase(it->second.offset);
    --pending_count_;
    it->second.offset = *offset;
    it->second.replied = true;
    it->second.request = {};
    needed_.insert(*offset);
    return true;
}

bool store_t::close(std::string_view uuid) {
    const auto it = entries_.find(uuid);
    if (it == entries_.end()) return false;
    append(record_close, uuid, {});
    needed_.erase(it->second.offset);
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
    std::vector<std::pair<std::uint64_t, std::string>> pending;
    for (const auto& [uuid, entry] : entries_)
        if (!entry.replied) pending.emplace_back(entry.offset, uuid);
    std::sort(pending.begin(), pending.end());
    std::vector<std::string> uuids;
    uuids.reserve(pending.size());
    for (auto& [offset, uuid] : pending)
        uuids.push_back(std::move(uuid));
    return uuids;
}

std::uint64_t store_t::keep_from() const {
    return needed_.empty() ? log_.next_offset() : *needed_.begin();
}

std::size_t store_t::apply_retention(std::chrono::system_clock::time_point now) {
    return log_.apply_retention(keep_from(), now);
}

} // namespace zd::titanic
