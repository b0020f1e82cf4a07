#include "journal/server/replay.hpp"

#include "base/message_io.hpp"
#include "journal/client/protocol.hpp"
#include "journal/server/positions.hpp"

#include <algorithm>

namespace zd::journal::server {

namespace proto = protocol;

replay_t::replay_t(zmq::socket_t& socket, const log_t& log, journal_counters_t& counters,
                   sender_t& sender, retry_t& retry)
    : socket_(socket), log_(log), counters_(counters), sender_(sender), retry_(retry) {}

void replay_t::serve() {
    for (int burst = 0; burst < 1000; ++burst) {
        const auto got = receive_message(socket_, frames_, max_frames, &counters_.bytes_in);
        if (got == received::nothing) return;
        ++counters_.messages_in;
        if (got == received::too_long) {
            ++counters_.malformed;
            sender_.send_error(socket_, {frames_[0].to_string_view(), false},
                               proto::status_bad_request,
                               proto::describe(proto::error_t::extra_frames));
            continue;
        }
        view_frames(frames_, views_);
        const auto decoded = proto::decode_reader(views_.data(), views_.size());
        const envelope_view_t peer{views_[0], decoded.leading_empty};
        if (!decoded.ok()) {
            ++counters_.malformed;
            sender_.send_error(socket_, peer, proto::status_bad_request,
                               proto::describe(decoded.error));
            continue;
        }
        if (decoded.kind == proto::kind_t::ping) {
            sender_.send_line(socket_, peer, {proto::cmd_pong});
            continue;
        }
        const auto start = resolve_position(log_, decoded.read.position, nullptr);
        if (!start.ok) {
            sender_.send_error(socket_, peer, start.error_code, start.error_text);
            continue;
        }
        reads_.push_back({envelope_t{std::string(peer.routing_id), peer.leading_empty},
                          log_.open_cursor(start.offset), decoded.read.count});
    }
}

// Sends what the budget allows of one READ, then its END once it is complete.
replay_t::read_progress replay_t::continue_read(read_request_t& read, std::size_t& budget) {
    const envelope_view_t peer = read.peer.view();
    while (read.remaining > 0) {
        if (budget == 0) return read_progress::out_of_budget;
        const std::uint64_t at = read.cursor->position();
        const auto record = read.cursor->next();
        if (!record) break; // the committed end: END says where to go on
        const auto status = sender_.send_record(socket_, peer, record->meta.offset,
                                                record->meta.timestamp_ns, record->frames);
        if (status == send_status::gone) return read_progress::gone;
        if (status == send_status::full) {
            read.cursor = log_.open_cursor(at); // this record again, later
            return read_progress::full;
        }
        ++counters_.replayed;
        --read.remaining;
        --budget;
    }
    char digits[24];
    const auto status = sender_.send_line(
        socket_, peer, {proto::cmd_end, proto::format_decimal(read.cursor->position(), digits)});
    if (status == send_status::full) {
        read.remaining = 0; // only the END is left to send
        return read_progress::full;
    }
    return status == send_status::gone ? read_progress::gone : read_progress::finished;
}

void replay_t::answer() {
    std::size_t budget = records_per_turn;
    while (!reads_.empty() && budget > 0) {
        switch (continue_read(reads_.front(), budget)) {
        case read_progress::finished:
        case read_progress::gone:
            reads_.pop_front();
            break;
        case read_progress::full:
            retry_.after(full_peer_retry);
            return;
        case read_progress::out_of_budget: // take turns: this read goes to the back
            reads_.push_back(std::move(reads_.front()));
            reads_.pop_front();
            break;
        }
    }
}

std::uint64_t replay_t::keep_from(std::uint64_t limit) const {
    for (const auto& read : reads_)
        limit = std::min(limit, read.cursor->position());
    return limit;
}

} // namespace zd::journal::server
