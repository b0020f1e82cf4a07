// zd-journal's consumer side (the backend): named consumers SUBscribe, receive committed
// records in offset order within their window and ACK them; each name's stored offset is
// kept in DIR/consumers, written at most every offsets_interval (an ACK is stored within
// it). A plain PUSH/PUB backend instead gets each record's frames, at-most-once, and resumes
// after a restart where the last run stopped handing records to the socket (its position is
// kept in the same file, reserved ahead of the records handed: see deliver_plain). It owns
// the subscriptions, the stored offsets and the plain cursor. Protocol: docs/JOURNAL.md
// ("Consumer").
#pragma once

#include "journal/client/protocol.hpp"
#include "journal/consumer_offsets.hpp"
#include "journal/log.hpp"
#include "journal/server/journal_server.hpp"
#include "journal/server/retry.hpp"
#include "journal/server/sender.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>
#include <zmq.hpp>

namespace zd {
class json_writer_t;
}

namespace zd::journal::server {

class consumers_t {
public:
    // Loads DIR/consumers (throws std::runtime_error if it is damaged).
    consumers_t(zmq::socket_t& backend, log_t& log, const journal_config_t& config,
                journal_counters_t& counters, sender_t& sender, retry_t& retry);

    // Consumer requests have a header and at most an empty frame before it: a message of more
    // frames is malformed, dropped as it is read (ERR 400 extra frames).
    static constexpr std::size_t max_frames = 8;

    // Answers what consumers sent (the backend ROUTER is readable).
    void serve();
    // Sends committed records to every consumer with room in its window, or to the plain
    // backend.
    void deliver();

    // Writes the stored offsets if they changed and offsets_interval has passed since the
    // last write (force: now, at shutdown). A failed write is logged, not fatal: it costs
    // redelivery after a restart.
    void write_offsets_if_due(steady::time_point now, bool force);
    // When the offsets must be written (max if nothing changed).
    steady::time_point offsets_due() const;

    // The lowest offset a consumer still needs, at most limit: for retention under
    // --retain-slow-consumers keep.
    std::uint64_t keep_from(std::uint64_t limit) const;

    // The STATS "consumers" array: every stored name, and where a live one stands.
    void write_stats(json_writer_t& json) const;
    // A plain backend's positions, for STATS: the next record to hand to the socket, and the
    // one a run killed now would resume at. Nullopt with a router backend.
    struct plain_position_t {
        std::uint64_t next = 0, stored = 0;
    };
    std::optional<plain_position_t> plain_position() const;

private:
    // A consumer that subscribed by name on the backend ROUTER.
    struct subscription_t {
        envelope_t peer;
        std::uint32_t window = protocol::default_window;
        bool origin = false;                     // RECs carry the producer id and seq
        std::uint64_t acked_next = 0;            // first offset not acknowledged since the SUB
        std::uint64_t delivered_next = 0;        // past the highest offset this name was sent
        std::unique_ptr<log_t::cursor_t> cursor; // the next record to send
        steady::time_point last_seen;            // last message from or delivery to the peer
    };

    void subscribe(const envelope_view_t& peer, const protocol::subscribe_t& request);
    void acknowledge(const envelope_view_t& peer, std::uint64_t offset);
    void note_heard_from(std::string_view routing_id);
    void store_offset(const std::string& name, std::uint64_t next);
    bool deliver_to(subscription_t& consumer); // false: the consumer is gone
    send_status send_record(const subscription_t& consumer, const record_view_t& record);
    void deliver_plain();
    bool reserve_plain(std::uint64_t at); // false: not now (socket full, or the write failed)

    struct string_hash_t {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const {
            return std::hash<std::string_view>()(text);
        }
    };

    zmq::socket_t& backend_;
    log_t& log_;
    const journal_config_t& config_;
    journal_counters_t& counters_;
    sender_t& sender_;
    retry_t& retry_;
    consumer_table_t offsets_;   // stored offsets, as last loaded or acknowledged
    bool offsets_dirty_ = false; // offsets_ changed since the last write
    steady::time_point next_offsets_write_ = steady::now();
    std::unordered_map<std::string, subscription_t> consumers_; // by name
    std::unordered_map<std::string, std::string, string_hash_t, std::equal_to<>>
        consumer_of_peer_;                          // routing id -> name
    std::unique_ptr<log_t::cursor_t> plain_cursor_; // PUSH/PUB backend
    std::uint64_t plain_reserved_ = 0;   // stored plain position: records below it may be handed
    std::vector<zmq::message_t> frames_; // the request being read (reused)
    std::vector<std::string_view> views_;
};

} // namespace zd::journal::server
