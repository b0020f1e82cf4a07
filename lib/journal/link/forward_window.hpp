// The heart of zd-link, without sockets: the records taken from the near journal and not yet
// acknowledged back to it, what to publish to the far journal next (and with which base),
// and how the far journal's ACKs and NACKs move the near consumer's offset. Socketless so
// the rules below are tested with a fake far journal and a fake clock
// (tests/journal/test_forward_window.cpp).
//
// Keys: each record is published under its origin producer id and seq (the near journal
// hands them out to a consumer that SUBscribes with "origin"), so the far journal's
// per-producer dedupe drops a record the link publishes twice (after a link, near or far
// restart). A record stored without a producer id (a PULL frontend) gets the fallback key
// (fallback id, near offset + 1). docs/JOURNAL.md, "Store-and-forward links".
//
// The far journal stores each producer's records strictly in sequence: it expects
// max(last stored + 1, base). Origin seqs are dense while a producer runs but jump when it
// restarts (and fallback keys jump wherever named records sit between anonymous ones), so
// the base is chosen per record:
//   - a record whose seq follows the previous one of its producer goes out with base = the
//     oldest seq of that producer not yet acknowledged by the far journal: a record lost
//     in transit before it makes the far journal NACK, and we resend from there;
//   - a record after a jump waits until every earlier record of its producer is
//     acknowledged, then goes out with base = its own seq, which the far journal takes as
//     the new start. Never sooner: with an earlier one still in flight, base = seq would
//     let the far journal skip it (and take it for a duplicate when it came).
// Publishing stops at a waiting record, so the far log keeps the near log's order except
// where a NACK made us resend one producer's records.
//
// The near consumer's offset only moves past a prefix of records all acknowledged by the
// far journal (its ACKs are cumulative per producer), so a crash anywhere resumes with
// nothing lost. Memory: the records the near journal sent (at most its window).
// Not thread-safe.
#pragma once

#include "journal/client/client_common.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace zd::journal {

struct link_entry_t {
    std::uint64_t number = 0; // position in the link's window (counts from 0, never reused)
    std::uint64_t near_offset = 0;
    std::string producer;    // origin producer id, or the fallback id
    std::uint64_t seq = 0;   // origin seq, or near offset + 1
    frames_t frames;         // the message
    bool follows = false;    // seq is the previous record of this producer's + 1
    bool published = false;  // handed to the far socket since the last rewind
    bool acked = false;      // the far journal acknowledged it
    std::uint32_t sends = 0; // times handed to the far socket
};

struct forward_counters_t {
    std::uint64_t received = 0;    // records taken from the near journal
    std::uint64_t published = 0;   // PUBs handed to the far socket (resends too)
    std::uint64_t republished = 0; // of those, resends (after a NACK or a stall)
    std::uint64_t far_acked = 0;   // records the far journal acknowledged
    std::uint64_t nacks = 0;       // NACKs that rewound a producer
    std::uint64_t stalls = 0;      // rounds of resending everything after no progress
    std::uint64_t anonymous = 0;   // records published under the fallback key
};

class forward_window_t {
public:
    using clock = std::chrono::steady_clock;

    // fallback_id: the producer id for records without one (a valid producer id).
    // resend_after: no far ACK progress this long while records are in flight: resend them.
    forward_window_t(std::string fallback_id, std::chrono::milliseconds resend_after);

    // Takes the next record from the near journal (offsets increase).
    void add(record_t record);

    // What to publish next: the entry and the base to send with it. Nullopt when nothing
    // is waiting, or the next record waits for its producer's earlier ones.
    struct publication_t {
        const link_entry_t* entry;
        std::uint64_t base;
    };
    std::optional<publication_t> next_to_publish() const;
    // The entry next_to_publish returned was handed to the far socket.
    void mark_published(clock::time_point now);

    // The far journal's "ACK producer seq": every record of producer <= seq is stored there.
    // Returns the highest near offset that may now be acknowledged to the near journal, if
    // it moved.
    std::optional<std::uint64_t> on_ack(std::string_view producer, std::uint64_t seq,
                                        clock::time_point now);
    // The far journal's "NACK producer expected": resend that producer's records from
    // expected. Stale NACKs (nothing of ours at or after expected) change nothing.
    void on_nack(std::string_view producer, std::uint64_t expected);
    // Resends everything in flight when no ACK progress came for resend_after (the far
    // journal restarted, or the connection dropped what was queued). True if it did.
    bool resend_if_stalled(clock::time_point now);
    // When resend_if_stalled will act (max() with nothing in flight).
    clock::time_point resend_due() const;

    std::size_t size() const { return entries_.size(); } // held: not yet acked to near
    std::size_t in_flight() const { return in_flight_; } // published, not yet acked by far
    std::size_t waiting() const;                         // not published yet
    const forward_counters_t& counters() const { return counters_; }
    // The highest near offset acknowledgeable so far (nullopt before the first).
    std::optional<std::uint64_t> near_acked() const { return near_acked_; }

private:
    // Per producer: its entries in the window not yet acknowledged by far, oldest first.
    struct producer_t {
        std::deque<link_entry_t*> unacked;
        std::uint64_t last_seq = 0;   // seq of the last record added
        std::uint64_t acked_seq = 0;  // highest seq the far journal acknowledged
        std::uint64_t rewound_to = 0; // the seq a NACK last rewound us to, until progress
    };
    link_entry_t& at(std::uint64_t number) { return entries_[number - first_number_]; }
    const link_entry_t& at(std::uint64_t number) const { return entries_[number - first_number_]; }
    std::uint64_t end_number() const { return first_number_ + entries_.size(); }
    void rewind(link_entry_t& entry);
    void advance_cursor();
    std::optional<std::uint64_t> pop_acked_prefix();

    std::string fallback_id_;
    std::chrono::milliseconds resend_after_;
    std::deque<link_entry_t> entries_; // in near offset order; pointers stay valid
    std::uint64_t first_number_ = 0;   // number of entries_.front(): entries count from 0
    std::uint64_t cursor_ = 0;         // number of the first entry not published (or end)
    std::unordered_map<std::string, producer_t> producers_; // with unacked entries, or last_seq
    std::size_t in_flight_ = 0;
    std::size_t acked_in_window_ = 0; // acked by far, held until the entries before are
    clock::time_point last_progress_{};
    std::optional<std::uint64_t> near_acked_;
    forward_counters_t counters_;
};

} // namespace zd::journal
