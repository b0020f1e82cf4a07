// A producer for zd-journal's frontend, for applications: sends messages with a producer id
// and a sequence number on a DEALER socket and keeps each one until the journal's cumulative
// ACK says it is durable. The journal stores a producer's messages in sequence only and
// answers a gap (messages lost with a dropped connection, overtaken by later ones) with
// NACK expected: the producer then resends from there. When no ACK progress comes for a
// while (the journal restarted) it resends every unacknowledged message. Resends keep their
// sequence numbers and the journal stores a (producer, seq) once, so resending never
// duplicates and a producer rides out a journal restart without loss. Memory is bounded by
// the window.
//
// Sequence numbers must grow across the producer's own restarts, or the journal takes new
// messages for duplicates of old ones (and acknowledges them without storing them): by
// default the first one is the current time in microseconds, +1 per message, which holds as
// long as the producer averages under a million messages a second over its life and the
// clock does not step back. An application that keeps its own counter passes first_seq.
//
// No thread of its own: the helper makes progress (reads ACKs, resends, writes what the
// socket's high-water mark held back) inside send(), poll_acks() and flush(). Call one of
// them regularly. Not thread-safe: one thread uses a producer.
#pragma once

#include "base/endpoints.hpp"
#include "base/socket_options.hpp"
#include "journal/client/client_common.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

namespace zd::journal {

struct producer_options_t {
    std::size_t window = 10000;                   // messages sent but not yet acknowledged, at most
    std::optional<std::uint64_t> first_seq;       // default: now in microseconds since the epoch
    std::chrono::milliseconds resend_after{1000}; // no ACK progress this long: resend all
    socket_options_t socket;                      // applied to the DEALER socket
    int stop_fd = -1; // if >= 0, a descriptor (e.g. stop_signal_t::fd()) whose readability
                      // interrupts any wait with interrupted_error
};

class producer_t {
public:
    // Connects to the journal's frontend. endpoints: our notation, bare endpoints connect
    // ("tcp://host:5560"). producer_id: 1-255 printable ASCII characters without spaces,
    // unique per producer. Throws endpoint_error for bad endpoints, std::invalid_argument
    // for a bad id or option, zmq::error_t if libzmq refuses.
    producer_t(zmq::context_t& context, std::string_view endpoints, std::string producer_id,
               producer_options_t options = {});
    ~producer_t();
    producer_t(const producer_t&) = delete;
    producer_t& operator=(const producer_t&) = delete;

    // Queues a message (at least one frame; boundaries and bytes are kept) and returns its
    // sequence number. Waits while window messages are unacknowledged, reading ACKs and
    // resending meanwhile. Throws std::invalid_argument for an empty message, journal_error
    // if the journal refused a message (ERR 400/413: see failed()), interrupted_error,
    // zmq::error_t.
    std::uint64_t send(const frames_t& frames);

    // The same, waiting at most timeout for room in the window; nullopt (nothing queued) if
    // none came.
    std::optional<std::uint64_t> send(const frames_t& frames, std::chrono::milliseconds timeout);

    // Reads what the journal sent, resends when due, and writes what is waiting, for at most
    // timeout (0: only what is there now) or until an ACK makes progress. Returns how many
    // messages became acknowledged. Throws like send().
    std::size_t poll_acks(std::chrono::milliseconds timeout);

    // Waits until every message sent is acknowledged (resending as needed). False if
    // timeout passed first. Throws like send().
    bool flush(std::chrono::milliseconds timeout);

    // The highest sequence number acknowledged: this one and every earlier one are durable.
    // 0 before the first ACK.
    std::uint64_t acked() const { return acked_; }
    // The sequence number the last send() returned (first_seq - 1 before any).
    std::uint64_t last_seq() const { return next_seq_ - 1; }
    // Messages sent and not yet acknowledged (at most the window).
    std::size_t unacked() const { return unacked_.size(); }
    const std::string& id() const { return id_; }

    // Counters, for logs and tests.
    std::uint64_t resends() const { return resends_; }         // rounds of resending
    std::uint64_t unavailable() const { return unavailable_; } // ERR 503 (journal busy/full)
    std::uint64_t malformed() const { return malformed_; }     // messages not understood
    std::uint64_t nacks() const { return nacks_; }             // NACKs that made us resend
    // ACKs for a sequence number past the last one sent: the journal had already stored a
    // higher number for this id (the id was reused with sequence numbers that went back), so
    // it took these messages for duplicates. Should stay 0.
    std::uint64_t acks_beyond_sent() const { return acks_beyond_sent_; }

    // Set once the journal refused a message (ERR 400 or 413): its later cumulative ACKs
    // would cover the refused one, so this producer stops and every call rethrows the
    // error. Start a new producer (a new id, or the same id with higher sequence numbers);
    // unacked() messages were not stored.
    const std::optional<journal_error>& failed() const { return failed_; }

private:
    struct entry_t {
        std::uint64_t seq;
        std::string seq_text; // the seq as sent, decimal
        frames_t frames;
    };
    using deadline_t = client_detail::deadline_t;
    // Pumps until done() holds or the deadline passes; true if done() held.
    template <typename Done>
    bool pump(Done done, deadline_t deadline);
    void read_incoming();
    void handle(const std::vector<std::string_view>& frames);
    void write_pending();
    void check_resend();
    void throw_if_failed() const;

    zmq::context_t& context_;
    producer_options_t options_;
    std::string id_;
    std::unique_ptr<zmq::socket_t> socket_;
    std::deque<entry_t> unacked_; // in seq order; the window
    std::size_t unsent_ = 0;      // index of the first entry not yet handed to the socket
    std::uint64_t next_seq_ = 1;
    std::uint64_t acked_ = 0;
    client_detail::steady_clock::time_point last_progress_; // last ACK progress (or first
                                                            // message into an empty window)
    std::uint64_t resends_ = 0;
    std::uint64_t unavailable_ = 0;
    std::uint64_t malformed_ = 0;
    std::uint64_t acks_beyond_sent_ = 0;
    std::uint64_t nacks_ = 0;
    std::uint64_t rewound_to_ = 0; // the seq a NACK last made us resend from, until progress
    std::optional<journal_error> failed_;
    std::vector<zmq::message_t> incoming_;    // reused for every received message
    std::vector<zmq::const_buffer> outgoing_; // reused for every sent message
    std::string header_;                      // reused: the PUB header line
};

} // namespace zd::journal
