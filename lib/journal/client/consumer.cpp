// The journal consumer: "SUB name position window" (between two PINGs), "REC offset ts" +
// frames in, "ACK offset" out, batched; SUB again from where it stands when the journal went quiet
// or forgot it.
#include "journal/client/consumer.hpp"

#include "base/endpoints.hpp"

#include <algorithm>

namespace zd::journal {

namespace proto = protocol;
using client_detail::steady_clock;

consumer_t::consumer_t(zmq::context_t& context, std::string_view endpoints, std::string name,
                       std::string position, std::uint32_t window, consumer_options_t options)
    : context_(context), options_(std::move(options)), name_(std::move(name)),
      position_(position.empty() ? std::string("stored") : std::move(position)),
      window_text_(std::to_string(window)) {
    // Check the SUB exactly as the journal will, so a bad argument fails here, named.
    const std::string line = sub_line(position_);
    const std::string_view frames[] = {"", line};
    const auto decoded = proto::decode_consumer(frames, std::size(frames));
    if (!decoded.ok())
        throw std::invalid_argument("consumer: bad SUB (name '" + name_ + "', position '" +
                                    position_ + "', window " + window_text_ +
                                    "): " + proto::describe(decoded.error));
    ack_every_ =
        options_.ack_every != 0 ? options_.ack_every : std::max<std::uint32_t>(1, window / 4);
    const endpoint_list_t list = parse_endpoints(endpoints, attach_mode::connect);
    socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
    options_.socket.apply_to(*socket_);
    if (options_.before_connect) options_.before_connect(*socket_);
    attach(*socket_, list, options_.socket);
    subscribe();
}

consumer_t::~consumer_t() {
    try {
        if (acked_ && (!ack_sent_ || *ack_sent_ < *acked_)) {
            const std::string line = ack_line(*acked_);
            (void)socket_->send(zmq::buffer(line), zmq::send_flags::dontwait);
        }
    } catch (const zmq::error_t&) {
        // Best effort: an ACK lost here only means redelivery.
    }
}

std::string consumer_t::ack_line(std::uint64_t offset) {
    char digits[24];
    std::string line(proto::cmd_ack);
    line.append(" ").append(proto::format_decimal(offset, digits));
    return line;
}

std::string consumer_t::sub_line(std::string_view position) const {
    std::string line(proto::cmd_subscribe);
    line.append(" ").append(name_).append(" ").append(position).append(" ").append(window_text_);
    if (options_.origin) line.append(" ").append(proto::sub_origin);
    return line;
}

void consumer_t::subscribe() {
    // From where this consumer stands; the original position until a record arrived.
    char digits[24];
    const std::string line =
        sub_line(resume_from_ ? proto::format_decimal(*resume_from_, digits) : position_);
    // Never blocking: while the journal is away the socket's queue fills with these (one SUB
    // a second), and a full queue must not hang receive(). What does not fit is skipped; the
    // next SUB comes after the next quiet interval.
    const auto send = [&](std::string_view frame) {
        return socket_->send(zmq::buffer(frame), zmq::send_flags::dontwait).has_value();
    };
    const bool first_ping = send(proto::cmd_ping);
    const bool sub = first_ping && send(line);
    const bool second_ping = sub && send(proto::cmd_ping);
    if (first_ping) pings_.push_back(false);
    if (second_ping) pings_.push_back(true);
    last_arrival_ = steady_clock::now();
    if (!sub) return;
    ++subscriptions_;
    // A SUB never moves the name's stored position (docs/JOURNAL.md): the ACK right after it
    // does, so what this consumer acknowledged before is stored again by a journal that
    // restarted and lost its last ACKs. Sent now, or at the next idle moment if it does not fit.
    if (acked_) {
        ack_sent_.reset();
        send_ack();
    } else if (resume_from_ && *resume_from_ > 0) {
        ack_sent_ = *resume_from_ - 1; // nothing acknowledged: nothing before it to ACK
    }
}

void consumer_t::ack(std::uint64_t offset) {
    if (!last_received_) return; // nothing to acknowledge yet
    offset = std::min(offset, *last_received_);
    if (acked_ && offset <= *acked_) return;
    acked_ = offset;
    if (!resume_from_ || *resume_from_ < offset + 1) resume_from_ = offset + 1;
    if (ack_sent_ && offset <= *ack_sent_) return; // a SUB from past it said so already
    const std::uint64_t pending = ack_sent_ ? offset - *ack_sent_ : offset + 1;
    if (pending >= ack_every_) send_ack();
}

void consumer_t::flush_acks() {
    if (acked_ && (!ack_sent_ || *ack_sent_ < *acked_)) send_ack();
}

void consumer_t::send_ack() {
    const std::string line = ack_line(*acked_);
    // Never blocking (see subscribe()): an ACK that does not fit stays pending.
    if (socket_->send(zmq::buffer(line), zmq::send_flags::dontwait)) ack_sent_ = *acked_;
}

std::optional<record_t> consumer_t::receive(std::chrono::milliseconds timeout) {
    const auto deadline = client_detail::deadline_after(timeout);
    record_t record;
    while (true) {
        while (client_detail::receive(*socket_, incoming_)) {
            last_arrival_ = steady_clock::now();
            if (handle(client_detail::views_of(incoming_), record)) return record;
        }
        // Idle: nothing waiting. Good moment to send the batched ACK.
        flush_acks();
        const auto now = steady_clock::now();
        if (now - last_arrival_ >= options_.resubscribe_after) {
            // Quiet for a while: the journal may have restarted without us. PONGs from
            // before are not coming any more.
            pings_.clear();
            subscribe();
        }
        if (deadline && now >= *deadline) return std::nullopt;
        client_detail::deadline_t wake = last_arrival_ + options_.resubscribe_after;
        if (deadline && *deadline < *wake) wake = deadline;
        (void)client_detail::wait(*socket_, ZMQ_POLLIN, wake, options_.stop_fd);
    }
}

bool consumer_t::settle(std::chrono::milliseconds timeout) {
    flush_acks();
    if (acked_ && (!ack_sent_ || *ack_sent_ < *acked_)) return false; // the queue is full
    if (!socket_->send(zmq::buffer(proto::cmd_ping), zmq::send_flags::dontwait)) return false;
    pings_.push_back(false);
    // PINGs are answered in order: ours is the last one in flight.
    const std::uint64_t answered = pongs_ + pings_.size();
    const auto deadline = client_detail::deadline_after(timeout);
    record_t ignored;
    try {
        while (pongs_ < answered) {
            while (pongs_ < answered && client_detail::receive(*socket_, incoming_))
                (void)handle(client_detail::views_of(incoming_), ignored);
            if (pongs_ >= answered) break;
            if (deadline && steady_clock::now() >= *deadline) return false;
            (void)client_detail::wait(*socket_, ZMQ_POLLIN, deadline, -1);
        }
    } catch (const journal_error&) {
        return false;
    }
    return true;
}

// "REC offset timestamp-ns [producer-id seq]" frame+  |  "ERR code text"  |  "PONG"
bool consumer_t::handle(const std::vector<std::string_view>& frames, record_t& record) {
    if (frames.empty()) {
        ++malformed_;
        return false;
    }
    // REC has 3 tokens, or 5 with the origin; an ERR's text (the third token) keeps its spaces.
    std::string_view tokens[5];
    std::size_t count = client_detail::split_line(frames[0], tokens, 5);
    const std::string_view command = tokens[0];
    if (command == proto::cmd_record && (count == 3 || count == 5) && frames.size() >= 2) {
        const auto offset = proto::parse_decimal(tokens[1]);
        const auto timestamp = proto::parse_decimal(tokens[2]);
        const auto seq = count == 5 ? proto::parse_decimal(tokens[4]) : std::uint64_t(0);
        if (!offset || !timestamp || !seq || (count == 5 && !proto::valid_name(tokens[3]))) {
            ++malformed_;
            return false;
        }
        if (last_received_ && *offset <= *last_received_) {
            ++duplicates_; // redelivered after a SUB: the application has it already
            return false;
        }
        last_received_ = *offset;
        if (!resume_from_) resume_from_ = *offset; // a new SUB starts here, not at "latest"
        record.offset = *offset;
        record.timestamp_ns = *timestamp;
        record.producer_id.assign(count == 5 ? tokens[3] : std::string_view());
        record.producer_seq = *seq;
        record.frames.assign(frames.begin() + 1, frames.end());
        return true;
    }
    if (frames.size() != 1) {
        ++malformed_;
        return false;
    }
    if (command == proto::cmd_pong && count == 1) {
        ++pongs_;
        if (!pings_.empty()) pings_.pop_front();
        return false;
    }
    if (command == proto::cmd_error) count = client_detail::split_line(frames[0], tokens, 3);
    if (command == proto::cmd_error && count >= 2) {
        const std::string code(tokens[1]);
        const std::string text = count == 3 ? std::string(tokens[2]) : std::string();
        const bool answers_sub = !pings_.empty() && pings_.front();
        if (answers_sub || code == proto::status_not_retained) throw journal_error(code, text);
        // An ACK the journal did not expect: it restarted and forgot us. SUB again, unless
        // a SUB is on its way already.
        if (pings_.empty()) subscribe();
        return false;
    }
    ++malformed_;
    return false;
}

} // namespace zd::journal
