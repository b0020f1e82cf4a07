// zd-journal's producer side (the frontend): reads PUBs (or plain PULL messages), appends
// them to the log in sequence per producer, commits the batch (group commit: one fdatasync
// for all of it) and only then answers ACK, or NACK where a producer left a gap. It owns the
// answers a batch owes and the disk's state (full, failed). Protocol: docs/JOURNAL.md
// ("Producer").
#pragma once

#include "base/identity_table.hpp"
#include "base/peer_identity.hpp"
#include "journal/log.hpp"
#include "journal/server/journal_server.hpp"
#include "journal/server/retry.hpp"
#include "journal/server/sender.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>
#include <zmq.hpp>

namespace zd::journal::server {

class producers_t {
public:
    producers_t(zmq::socket_t& frontend, log_t& log, const journal_config_t& config,
                journal_counters_t& counters, sender_t& sender, retry_t& retry);

    // The most frames a frontend message may have: more can never fit in a record of
    // --max-record bytes (every frame takes a 4-byte length in the body), so such a message
    // is dropped as it is read and refused (ERR 413) without holding its frames.
    std::size_t max_frames() const { return max_frames_; }

    // Reads and appends what is waiting: up to --batch-max messages that need a commit or an
    // answer, or --batch-bytes appended, whichever comes first.
    void ingest();

    // Commits the pending batch once it is due (at once, or after --batch-delay unless the
    // batch is full), then answers the producers. Returns false when the log failed for
    // good: nothing more may be acknowledged.
    bool commit_if_due(steady::time_point now);
    // When the pending batch falls due (max if none waits for --batch-delay).
    steady::time_point commit_due() const;

    bool disk_full() const { return disk_full_; }
    bool failed() const { return failed_; }

    // Whether the frontend authenticates its peers (CURVE or a ZAP domain): only then is each
    // message's User-Id read, stored in its record and counted per identity. Known from the
    // first ingest() on (the socket's options are final once it is attached).
    bool reads_identity() const { return reads_identity_.value_or(false); }
    // Messages per authenticated producer identity, for STATS.
    const identity_table_t& identities() const { return identities_; }

private:
    std::size_t ingest_plain();
    std::size_t ingest_publish();
    record_identity_t sender_identity();
    void refuse_too_long();
    bool batch_full() const;
    bool commit();
    void send_acks();

    // The answers a batch owes, keyed by routing id and producer id packed in one string
    // (see answer_key): looked up by string_view, so a message of a producer already in the
    // batch costs no allocation.
    struct pending_answer_t {
        bool leading_empty = false;
        std::uint64_t seq = 0; // ACK: the highest seq seen; NACK: the seq expected
    };
    struct string_hash_t {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const {
            return std::hash<std::string_view>()(text);
        }
    };
    using pending_map_t =
        std::unordered_map<std::string, pending_answer_t, string_hash_t, std::equal_to<>>;
    void note_ack(const envelope_view_t& peer, std::string_view producer, std::uint64_t seq);
    void note_nack(const envelope_view_t& peer, std::string_view producer, std::uint64_t seq);
    pending_answer_t& pending_answer(pending_map_t& pending, const envelope_view_t& peer,
                                     std::string_view producer, std::uint64_t seq);

    zmq::socket_t& frontend_;
    log_t& log_;
    const journal_config_t& config_;
    journal_counters_t& counters_;
    sender_t& sender_;
    retry_t& retry_;
    std::size_t max_frames_;
    std::optional<bool> reads_identity_;     // the frontend authenticates: read User-Id
    identity_table_t identities_;            // messages per producer identity
    peer_identity_reader_t identity_reader_; // reads them, the name once per User-Id change
    std::vector<zmq::message_t> frames_;     // the message being read (reused)
    std::vector<std::string_view> views_;    // its frames as views
    pending_map_t pending_acks_;             // ACKs owed once the batch is committed
    pending_map_t pending_nacks_;            // NACKs owed after them
    std::string key_buffer_;                 // answer_key's
    steady::time_point batch_started_;       // when the pending batch's first record came
    bool batch_open_ = false;                // records are pending
    bool disk_full_ = false;                 // the last commit found no space: retrying
    bool failed_ = false;                    // a write or sync failed: nothing more is acked
};

} // namespace zd::journal::server
