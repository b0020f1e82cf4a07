// A named consumer of zd-journal's backend, for applications: SUBscribes on a DEALER socket,
// receives records in offset order, and acknowledges them cumulatively so the journal keeps
// the name's position durably. Delivery is at-least-once: after a consumer or journal
// restart the records sent but not acknowledged come again.
//
// Riding out a journal restart: the restarted journal has forgotten the subscription, so the
// consumer SUBscribes again whenever nothing has arrived for resubscribe_after while it
// waits (an idle journal costs one SUB per interval), and at once when the journal answers
// an ACK with ERR 400 (it no longer knows us).
// A SUB from where this consumer stands is always safe: the new SUB starts at the record
// after the last one acknowledged (or at the first one received, or at the original
// position if none came), and records this consumer already handed out are dropped by
// offset, so the application never sees a record twice from one consumer_t. The SUB is
// followed by an ACK of the last record acknowledged, if any: a SUB never moves the name's
// stored position, that ACK stores it again on a journal that lost its last ACKs.
//
// Acknowledgements are batched: ack() sends at once every ack_every records, otherwise the
// ACK goes out when receive() finds nothing waiting (idle), with flush_acks(), or at
// destruction. No thread of its own; not thread-safe.
#pragma once

#include "base/endpoints.hpp"
#include "base/socket_options.hpp"
#include "journal/client/client_common.hpp"
#include "journal/client/protocol.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

namespace zd::journal {

struct consumer_options_t {
    std::uint32_t ack_every = 0; // send an ACK once this many records are acked; 0: window/4
    std::chrono::milliseconds resubscribe_after{1000}; // silence this long while waiting: SUB
    socket_options_t socket;                           // applied to the DEALER socket
    bool origin = false; // SUB with "origin": records carry their producer id and seq
    // Called once with the DEALER socket before it connects (e.g. to watch it with a socket
    // monitor, which must start before the connection); may throw, as the constructor does.
    std::function<void(zmq::socket_t&)> before_connect;
    int stop_fd = -1; // if >= 0, a descriptor whose readability interrupts any wait
                      // (interrupted_error)
};

class consumer_t {
public:
    // Connects to the journal's backend and subscribes. name: 1-255 printable ASCII
    // characters without spaces. position: "stored" or "" (the name's stored offset, else
    // the earliest), "earliest", "latest", a decimal offset or "@" + ms since the epoch.
    // window: records in flight unacknowledged, 1..65536. Throws endpoint_error,
    // std::invalid_argument (bad name, position or window, named), zmq::error_t.
    consumer_t(zmq::context_t& context, std::string_view endpoints, std::string name,
               std::string position = "", std::uint32_t window = protocol::default_window,
               consumer_options_t options = {});
    ~consumer_t(); // sends a pending ACK if the socket takes it without waiting
    consumer_t(const consumer_t&) = delete;
    consumer_t& operator=(const consumer_t&) = delete;

    // The next record, waiting at most timeout (negative: for ever); nullopt if none came.
    // Throws journal_error when the journal refuses the subscription (ERR 404: the position
    // is no longer retained; 400: e.g. past the end), interrupted_error, zmq::error_t.
    std::optional<record_t> receive(std::chrono::milliseconds timeout);

    // Marks every record up to offset as done (cumulative). Offsets past the last record
    // received are taken as that one. Sent now when ack_every records have built up.
    void ack(std::uint64_t offset);

    // Sends the pending ACK now, if the socket takes it without waiting (else it stays
    // pending for the next idle moment).
    void flush_acks();

    // For a clean stop: sends the pending ACK and a PING and waits at most timeout for the
    // journal's PONG. True means the journal has applied every ACK this consumer sent (one
    // connection keeps order), so a consumer started next under the same name resumes after
    // them. Records that arrive meanwhile are dropped unacknowledged (they come again).
    // Ignores stop_fd. False on timeout, when the ACK cannot be queued, or on an ERR.
    bool settle(std::chrono::milliseconds timeout);

    // The DEALER socket, for a caller that polls it beside others (zd-link): wait for
    // ZMQ_POLLIN on it, then call receive() with a zero timeout until it returns nullopt.
    // Call receive() at least every resubscribe_after even when nothing is readable, so the
    // consumer SUBscribes again after a journal restart. Never read or write it directly.
    zmq::socket_t& socket() { return *socket_; }

    const std::string& name() const { return name_; }
    // The last offset acknowledged by ack(), if any.
    std::optional<std::uint64_t> acked() const { return acked_; }

    // Counters, for logs and tests.
    std::uint64_t subscriptions() const { return subscriptions_; }   // SUBs sent (first too)
    std::uint64_t duplicates_dropped() const { return duplicates_; } // redelivered, dropped
    std::uint64_t malformed() const { return malformed_; }

private:
    void subscribe();
    void send_ack();
    std::string sub_line(std::string_view position) const; // "SUB name position window"
    static std::string ack_line(std::uint64_t offset);     // "ACK offset"
    // Handles one message; returns true with record filled if it was a new record.
    bool handle(const std::vector<std::string_view>& frames, record_t& record);

    zmq::context_t& context_;
    consumer_options_t options_;
    std::string name_;
    std::string position_; // as given: used until a record arrives
    std::string window_text_;
    std::unique_ptr<zmq::socket_t> socket_;
    std::optional<std::uint64_t> resume_from_;   // where a new SUB starts
    std::optional<std::uint64_t> last_received_; // highest offset handed to the application
    std::optional<std::uint64_t> acked_;         // highest offset the application acked
    std::optional<std::uint64_t> ack_sent_;      // highest offset sent in an ACK
    std::uint32_t ack_every_ = 1;
    // Each SUB goes out between two PINGs, so an ERR that comes after the first PONG and
    // before the second answers the SUB itself (the journal refused it: throw), and any other
    // ERR 400 answers an ACK the journal did not expect (it lost us: SUB again).
    std::deque<bool> pings_; // per PING in flight: true if it went after a SUB
    client_detail::steady_clock::time_point last_arrival_; // last message from the journal
    std::uint64_t subscriptions_ = 0;
    std::uint64_t duplicates_ = 0;
    std::uint64_t malformed_ = 0;
    std::uint64_t pongs_ = 0; // PONGs received
    std::vector<zmq::message_t> incoming_;
};

} // namespace zd::journal
