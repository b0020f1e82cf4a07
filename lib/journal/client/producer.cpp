// The journal producer: "PUB producer-id seq base" + frames out, "ACK producer-id seq" or
// "NACK producer-id expected" back; a window of unacknowledged messages resent with their own
// sequence numbers after a NACK or when ACKs stall.
#include "journal/client/producer.hpp"

#include "base/endpoints.hpp"
#include "journal/client/protocol.hpp"

#include <algorithm>

namespace zd::journal {

namespace proto = protocol;
using client_detail::steady_clock;

producer_t::producer_t(zmq::context_t& context, std::string_view endpoints, std::string producer_id,
                       producer_options_t options)
    : context_(context), options_(std::move(options)), id_(std::move(producer_id)) {
    if (!proto::valid_name(id_))
        throw std::invalid_argument("producer id '" + id_ +
                                    "': 1-255 printable ASCII characters, no spaces");
    if (options_.window == 0) throw std::invalid_argument("producer window must be at least 1");
    if (options_.resend_after.count() <= 0)
        throw std::invalid_argument("resend_after must be positive");
    if (options_.first_seq) {
        if (*options_.first_seq == 0) throw std::invalid_argument("first_seq must be at least 1");
        next_seq_ = *options_.first_seq;
    } else {
        const auto now = std::chrono::system_clock::now().time_since_epoch();
        next_seq_ =
            std::uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
    }
    const endpoint_list_t list = parse_endpoints(endpoints, attach_mode::connect);
    socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
    options_.socket.apply_to(*socket_);
    attach(*socket_, list, options_.socket);
    last_progress_ = steady_clock::now();
}

producer_t::~producer_t() = default;

void producer_t::throw_if_failed() const {
    if (failed_) throw *failed_;
}

std::uint64_t producer_t::send(const frames_t& frames) {
    return *send(frames, std::chrono::milliseconds(-1));
}

std::optional<std::uint64_t> producer_t::send(const frames_t& frames,
                                              std::chrono::milliseconds timeout) {
    if (frames.empty()) throw std::invalid_argument("a message needs at least one frame");
    throw_if_failed();
    if (!pump([&] { return unacked_.size() < options_.window; },
              client_detail::deadline_after(timeout)))
        return std::nullopt;
    const std::uint64_t seq = next_seq_++;
    char digits[24];
    if (unacked_.empty()) last_progress_ = steady_clock::now(); // the resend clock starts now
    unacked_.push_back({seq, std::string(proto::format_decimal(seq, digits)), frames});
    write_pending();
    return seq;
}

std::size_t producer_t::poll_acks(std::chrono::milliseconds timeout) {
    throw_if_failed();
    const std::uint64_t before = acked_;
    const std::size_t unacked_before = unacked_.size();
    pump([&] { return acked_ != before; }, client_detail::deadline_after(timeout));
    return unacked_before - unacked_.size();
}

bool producer_t::flush(std::chrono::milliseconds timeout) {
    throw_if_failed();
    return pump([&] { return unacked_.empty(); }, client_detail::deadline_after(timeout));
}

template <typename Done>
bool producer_t::pump(Done done, deadline_t deadline) {
    while (true) {
        read_incoming();
        check_resend();
        write_pending();
        if (done()) return true;
        if (deadline && steady_clock::now() >= *deadline) return false;
        // Wake for an ACK, for room on the socket if messages wait, and for the resend timer.
        deadline_t wake = deadline;
        if (!unacked_.empty()) {
            const auto resend_at = last_progress_ + options_.resend_after;
            if (!wake || resend_at < *wake) wake = resend_at;
        }
        const short events = unsent_ < unacked_.size() ? ZMQ_POLLIN | ZMQ_POLLOUT : ZMQ_POLLIN;
        (void)client_detail::wait(*socket_, events, wake, options_.stop_fd);
    }
}

void producer_t::read_incoming() {
    while (client_detail::receive(*socket_, incoming_)) {
        handle(client_detail::views_of(incoming_));
        throw_if_failed();
    }
}

// "ACK producer-id seq"  |  "NACK producer-id expected"  |  "ERR code text"  |  "PONG"
void producer_t::handle(const std::vector<std::string_view>& frames) {
    if (frames.size() != 1) {
        ++malformed_;
        return;
    }
    std::string_view tokens[3];
    const std::size_t count = client_detail::split_line(frames[0], tokens, 3);
    const std::string_view command = tokens[0];
    if (command == proto::cmd_ack && count == 3 && tokens[1] == id_) {
        const auto seq = proto::parse_decimal(tokens[2]);
        if (!seq) {
            ++malformed_;
            return;
        }
        std::uint64_t upto = *seq;
        if (upto > last_seq()) {
            ++acks_beyond_sent_;
            upto = last_seq();
        }
        if (upto <= acked_) return; // an older ACK, or one for a resend already covered
        acked_ = upto;
        last_progress_ = steady_clock::now();
        rewound_to_ = 0;
        while (!unacked_.empty() && unacked_.front().seq <= acked_) {
            unacked_.pop_front();
            if (unsent_ > 0) --unsent_;
        }
        return;
    }
    if (command == proto::cmd_nack && count == 3 && tokens[1] == id_) {
        const auto expected = proto::parse_decimal(tokens[2]);
        if (!expected) {
            ++malformed_;
            return;
        }
        // Stale: the journal answers a batch's ACK before its NACKs, so a gap that the same
        // batch filled (our resends arrived right behind) is NACKed after it was ACKed. A
        // journal that lost data would not NACK below base (= acked + 1) either: it starts
        // over from base. Nothing to do.
        if (*expected <= acked_) return;
        // Past what we sent (stale, answered before an ACK) or before our window (not a seq
        // of ours): nothing to resend.
        if (unacked_.empty() || *expected > last_seq() || *expected < unacked_.front().seq) return;
        // One rewind per gap: the NACKs for messages that were already on their way after
        // the gap all name the same expected seq.
        if (*expected == rewound_to_) return;
        const std::size_t index = std::size_t(*expected - unacked_.front().seq);
        unsent_ = std::min(unsent_, index);
        rewound_to_ = *expected;
        ++nacks_;
        return;
    }
    if (command == proto::cmd_error && count >= 2) {
        const std::string code(tokens[1]);
        const std::string text = count == 3 ? std::string(tokens[2]) : std::string();
        if (code == proto::status_unavailable) {
            ++unavailable_; // the journal cannot store now (disk full): resending covers it
            return;
        }
        failed_.emplace(code, text);
        return;
    }
    if (command == proto::cmd_pong && count == 1) return;
    ++malformed_;
}

void producer_t::check_resend() {
    if (unacked_.empty()) return;
    const auto now = steady_clock::now();
    if (now - last_progress_ < options_.resend_after) return;
    // No ACK progress: whatever is unacknowledged may be lost with a journal or a connection.
    // Same sequence numbers, so the journal stores each message at most once.
    unsent_ = 0;
    last_progress_ = now;
    ++resends_;
}

void producer_t::write_pending() {
    while (unsent_ < unacked_.size()) {
        const entry_t& entry = unacked_[unsent_];
        // "PUB producer-id seq base": base is the oldest unacknowledged seq.
        header_.assign(proto::cmd_publish);
        header_.append(" ").append(id_).append(" ").append(entry.seq_text);
        header_.append(" ").append(unacked_.front().seq_text);
        outgoing_.clear();
        outgoing_.push_back(zmq::buffer(header_));
        for (const auto& frame : entry.frames)
            outgoing_.push_back(zmq::buffer(frame));
        if (!client_detail::try_send(*socket_, outgoing_)) return; // at the high-water mark
        ++unsent_;
    }
}

} // namespace zd::journal
