#include "journal/server/sender.hpp"

#include "journal/client/protocol.hpp"

#include <cerrno>

namespace zd::journal::server {

namespace {
send_status send_frame(zmq::socket_t& socket, std::string_view data, bool more) {
    if (zmq_send(socket.handle(), data.data(), data.size(),
                 ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0)) >= 0)
        return send_status::ok;
    return errno == EAGAIN ? send_status::full : send_status::gone;
}
} // namespace

send_status sender_t::send_message(zmq::socket_t& socket, const envelope_view_t* peer,
                                   std::initializer_list<std::string_view> head,
                                   const std::vector<std::string_view>* tail) {
    if (peer) {
        const auto status = send_frame(socket, peer->routing_id, true);
        if (status != send_status::ok) {
            if (status == send_status::gone) ++counters_.undeliverable;
            return status;
        }
        if (peer->leading_empty) send_frame(socket, {}, true);
    }
    const std::size_t tail_count = tail ? tail->size() : 0;
    const std::size_t total = head.size() + tail_count;
    std::size_t index = 0;
    for (std::string_view frame : head) {
        const auto status = send_frame(socket, frame, ++index < total);
        if (status != send_status::ok) return status; // only the first frame can fail
        counters_.bytes_out += frame.size();
    }
    for (std::size_t i = 0; i < tail_count; ++i) {
        const auto status = send_frame(socket, (*tail)[i], ++index < total);
        if (status != send_status::ok) return status;
        counters_.bytes_out += (*tail)[i].size();
    }
    ++counters_.messages_out;
    return send_status::ok;
}

void sender_t::send_error(zmq::socket_t& socket, const envelope_view_t& peer, std::string_view code,
                          std::string_view text) {
    // A bad request is counted by the caller (STATS malformed); logged here, rate-limited.
    if (code == protocol::status_bad_request) bad_request_log_.report(text);
    send_line(socket, peer, {protocol::cmd_error, code, text});
}

send_status sender_t::send_record(zmq::socket_t& socket, const envelope_view_t& peer,
                                  std::uint64_t offset, std::int64_t timestamp_ns,
                                  const std::vector<std::string_view>& frames) {
    char offset_digits[24], time_digits[24];
    return send_message(
        socket, &peer,
        {line({protocol::cmd_record, protocol::format_decimal(offset, offset_digits),
               protocol::format_decimal(std::uint64_t(timestamp_ns), time_digits)})},
        &frames);
}

send_status sender_t::send_record_with_origin(zmq::socket_t& socket, const envelope_view_t& peer,
                                              std::uint64_t offset, std::int64_t timestamp_ns,
                                              std::string_view producer_id, std::uint64_t seq,
                                              const std::vector<std::string_view>& frames) {
    if (producer_id.empty()) return send_record(socket, peer, offset, timestamp_ns, frames);
    char offset_digits[24], time_digits[24], seq_digits[24];
    return send_message(
        socket, &peer,
        {line({protocol::cmd_record, protocol::format_decimal(offset, offset_digits),
               protocol::format_decimal(std::uint64_t(timestamp_ns), time_digits), producer_id,
               protocol::format_decimal(seq, seq_digits)})},
        &frames);
}

std::string_view sender_t::line(std::initializer_list<std::string_view> tokens) {
    line_.clear();
    for (std::string_view token : tokens) {
        if (!line_.empty()) line_.push_back(' ');
        line_.append(token);
    }
    return line_;
}

void view_frames(const std::vector<zmq::message_t>& frames, std::vector<std::string_view>& views) {
    views.clear();
    for (const auto& frame : frames)
        views.emplace_back(static_cast<const char*>(frame.data()), frame.size());
}

} // namespace zd::journal::server
