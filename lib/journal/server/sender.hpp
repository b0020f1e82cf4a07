// Sending zd-journal's replies without ever blocking: a peer's envelope (routing id, and the
// empty frame a REQ peer sent after it), a header line of tokens, the message frames. Shared
// by the producer, consumer and replay sides; counts what goes out.
#pragma once

#include "base/rate_limited_log.hpp"
#include "journal/server/journal_server.hpp"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

namespace zd::journal::server {

enum class send_status { ok, full, gone };

// A routing id and whether the peer put an empty frame after it (REQ style): the envelope
// every reply to that peer starts with.
struct envelope_view_t {
    std::string_view routing_id;
    bool leading_empty = false;
};
struct envelope_t { // the same, kept: for consumers and readers that stay
    std::string routing_id;
    bool leading_empty = false;
    envelope_view_t view() const { return {routing_id, leading_empty}; }
};

class sender_t {
public:
    explicit sender_t(journal_counters_t& counters) : counters_(counters) {}

    // Sends envelope (if peer) + head + tail frames. A ROUTER with ROUTER_MANDATORY refuses
    // the first frame with EAGAIN when the peer is at its HWM (full) and EHOSTUNREACH when
    // it is gone (counted undeliverable); once the first frame is taken the rest is too.
    send_status send_message(zmq::socket_t& socket, const envelope_view_t* peer,
                             std::initializer_list<std::string_view> head,
                             const std::vector<std::string_view>* tail = nullptr);
    // A header line alone, to a peer.
    send_status send_line(zmq::socket_t& socket, const envelope_view_t& peer,
                          std::initializer_list<std::string_view> tokens) {
        return send_message(socket, &peer, {line(tokens)});
    }
    // "ERR code text".
    void send_error(zmq::socket_t& socket, const envelope_view_t& peer, std::string_view code,
                    std::string_view text);
    // "REC offset timestamp-ns" + the record's frames.
    send_status send_record(zmq::socket_t& socket, const envelope_view_t& peer,
                            std::uint64_t offset, std::int64_t timestamp_ns,
                            const std::vector<std::string_view>& frames);
    // "REC offset timestamp-ns producer-id seq" + the frames, for a consumer that SUBscribed
    // with "origin"; a record without a producer id (empty id) goes out as send_record.
    send_status send_record_with_origin(zmq::socket_t& socket, const envelope_view_t& peer,
                                        std::uint64_t offset, std::int64_t timestamp_ns,
                                        std::string_view producer_id, std::uint64_t seq,
                                        const std::vector<std::string_view>& frames);

    // Joins tokens with single spaces: a header line, valid until the next call.
    std::string_view line(std::initializer_list<std::string_view> tokens);

private:
    rate_limited_log_t bad_request_log_{"refused a malformed request (ERR 400)"};
    journal_counters_t& counters_;
    std::string line_; // reused: no allocation per reply once warm
};

// Views of frames (for the protocol decoders), rebuilt in views.
void view_frames(const std::vector<zmq::message_t>& frames, std::vector<std::string_view>& views);

} // namespace zd::journal::server
