#include "journal/link/forward_window.hpp"

#include <algorithm>

namespace zd::journal {

forward_window_t::forward_window_t(std::string fallback_id, std::chrono::milliseconds resend_after)
    : fallback_id_(std::move(fallback_id)), resend_after_(resend_after) {}

void forward_window_t::add(record_t record) {
    link_entry_t entry;
    entry.number = end_number();
    entry.near_offset = record.offset;
    if (record.producer_id.empty() || record.producer_seq == 0) {
        entry.producer = fallback_id_;
        entry.seq = record.offset + 1; // seqs start at 1
        ++counters_.anonymous;
    } else {
        entry.producer = std::move(record.producer_id);
        entry.seq = record.producer_seq;
    }
    entry.frames = std::move(record.frames);
    ++counters_.received;
    auto found = producers_.find(entry.producer);
    if (found == producers_.end()) found = producers_.emplace(entry.producer, producer_t{}).first;
    producer_t& producer = found->second;
    entry.follows = !producer.unacked.empty() && entry.seq == producer.last_seq + 1;
    producer.last_seq = entry.seq;
    entries_.push_back(std::move(entry));
    producer.unacked.push_back(&entries_.back());
}

std::optional<forward_window_t::publication_t> forward_window_t::next_to_publish() const {
    if (cursor_ >= end_number()) return std::nullopt;
    const link_entry_t& entry = at(cursor_);
    const producer_t& producer = producers_.at(entry.producer);
    const link_entry_t* oldest = producer.unacked.front();
    // After a jump: only once every earlier record of this producer is stored far away.
    if (!entry.follows && oldest != &entry) return std::nullopt;
    return publication_t{&entry, oldest->seq};
}

void forward_window_t::mark_published(clock::time_point now) {
    link_entry_t& entry = at(cursor_);
    if (in_flight_ == 0) last_progress_ = now; // the stall clock starts with the first in flight
    entry.published = true;
    if (entry.sends++ > 0) ++counters_.republished;
    ++counters_.published;
    ++in_flight_;
    advance_cursor();
}

void forward_window_t::advance_cursor() {
    while (cursor_ < end_number() && (at(cursor_).published || at(cursor_).acked))
        ++cursor_;
}

std::optional<std::uint64_t> forward_window_t::on_ack(std::string_view producer_id,
                                                      std::uint64_t seq, clock::time_point now) {
    const auto found = producers_.find(std::string(producer_id));
    if (found == producers_.end()) return std::nullopt; // nothing of ours: stale
    producer_t& producer = found->second;
    bool progress = false;
    while (!producer.unacked.empty() && producer.unacked.front()->seq <= seq) {
        link_entry_t& entry = *producer.unacked.front();
        producer.unacked.pop_front();
        entry.acked = true;
        if (entry.published) --in_flight_;
        ++acked_in_window_;
        ++counters_.far_acked;
        progress = true;
    }
    producer.acked_seq = std::max(producer.acked_seq, seq);
    if (!progress) return std::nullopt;
    producer.rewound_to = 0;
    last_progress_ = now;
    // Forget a producer with nothing in the window: its next record counts as a jump, which
    // is safe with nothing of it in flight (and keeps this table bounded by the window).
    if (producer.unacked.empty()) producers_.erase(found);
    advance_cursor(); // acked entries need no publishing
    return pop_acked_prefix();
}

std::optional<std::uint64_t> forward_window_t::pop_acked_prefix() {
    std::optional<std::uint64_t> moved;
    while (!entries_.empty() && entries_.front().acked) {
        moved = entries_.front().near_offset;
        entries_.pop_front();
        ++first_number_;
        --acked_in_window_;
    }
    if (moved) near_acked_ = moved;
    return moved;
}

void forward_window_t::on_nack(std::string_view producer_id, std::uint64_t expected) {
    const auto found = producers_.find(std::string(producer_id));
    if (found == producers_.end()) return;
    producer_t& producer = found->second;
    // Stale (a gap the same batch filled) or already rewound for this gap: the NACKs for
    // everything after a gap all name it, one resend is enough.
    if (expected <= producer.acked_seq || expected == producer.rewound_to) return;
    bool rewound = false;
    for (link_entry_t* entry : producer.unacked)
        if (entry->seq >= expected && entry->published) {
            rewind(*entry);
            rewound = true;
        }
    if (!rewound) return;
    producer.rewound_to = expected;
    ++counters_.nacks;
}

void forward_window_t::rewind(link_entry_t& entry) {
    entry.published = false;
    --in_flight_;
    cursor_ = std::min(cursor_, entry.number);
}

bool forward_window_t::resend_if_stalled(clock::time_point now) {
    if (in_flight_ == 0 || now < resend_due()) return false;
    for (link_entry_t& entry : entries_)
        if (entry.published && !entry.acked) rewind(entry);
    for (auto& [id, producer] : producers_)
        producer.rewound_to = 0;
    last_progress_ = now;
    ++counters_.stalls;
    return true;
}

forward_window_t::clock::time_point forward_window_t::resend_due() const {
    return in_flight_ == 0 ? clock::time_point::max() : last_progress_ + resend_after_;
}

std::size_t forward_window_t::waiting() const {
    return entries_.size() - in_flight_ - acked_in_window_;
}

} // namespace zd::journal
