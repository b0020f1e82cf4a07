// The journal consumer: SUB name position window (between two PINGs), REC offset ts frames
// in, ACK offset out, batched; SUB again from where it stands when the journal went quiet or
// forgot it.
#include "journal/consumer.hpp"

#include "core/endpoints.hpp"

#include <algorithm>

namespace zd::journal {

namespace proto = protocol;
using client_detail::steady_clock;

consumer_t::consumer_t(zmq::context_t& context, std::string_view endpoints, std::string name,
                       std::string position, std::uint32_t window, consumer_options_t options)
    : context_(context), options_(std::move(options)), name_(std::move(name)),
      position_(std::move(position)), window_text_(std::to_string(window)) {
    // Check the SUB exactly as the journal will, so a bad argument fails here, named.
    const std::string_view frames[] = {"", proto::cmd_subscribe, name_, position_, window_text_};
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
    attach(*socket_, list);
    subscribe();
}

consumer_t::~consumer_t() {
    try {
        if (acked_ && (!ack_sent_ || *ack_sent_ < *acked_)) {
            char digits[24];
            const std::vector<zmq::const_buffer> frames{
                zmq::buffer(proto::cmd_ack), zmq::buffer(proto::format_decimal(*acked_, digits))};
            (void)client_detail::try_send(*socket_, frames);
        }
    } catch (const zmq::error_t&) {
        // Best effort: an ACK lost here only means redelivery.
    }
}

void consumer_t::subscribe() {
    // From where this consumer stands; the original position until a record arrived.
    char digits[24];
    const std::string_view position =
        resume_from_ ? proto::format_decimal(*resume_from_, digits) : std::string_view(position_);
    const std::vector<zmq::const_buffer> ping{zmq::buffer(proto::cmd_ping)};
    const std::vector<zmq::const_buffer> sub{zmq::buffer(proto::cmd_subscribe), zmq::buffer(name_),
                                             zmq::buffer(position), zmq::buffer(window_text_)};
    // Blocking sends: a DEALER only blocks at its high-water mark, and these are small.
    for (const auto* message : {&ping, &sub, &ping}) {
        for (std::size_t i = 0; i < message->size(); ++i)
            (void)socket_->send((*message)[i], i + 1 < message->size() ? zmq::send_flags::sndmore
                                                                       : zmq::send_flags::none);
    }
    pings_.push_back(false);
    pings_.push_back(true);
    if (resume_from_ && *resume_from_ > 0) ack_sent_ = *resume_from_ - 1; // the SUB implies it
    last_arrival_ = steady_clock::now();
    ++subscriptions_;
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
    char digits[24];
    const std::vector<zmq::const_buffer> frames{
        zmq::buffer(proto::cmd_ack), zmq::buffer(proto::format_decimal(*acked_, digits))};
    (void)socket_->send(frames[0], zmq::send_flags::sndmore);
    (void)socket_->send(frames[1], zmq::send_flags::none);
    ack_sent_ = *acked_;
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

// REC offset timestamp-ns frame+  |  ERR code text  |  PONG
bool consumer_t::handle(const std::vector<std::string_view>& frames, record_t& record) {
    if (frames.empty()) {
        ++malformed_;
        return false;
    }
    const std::string_view command = frames[0];
    if (command == proto::cmd_record && frames.size() >= 4) {
        const auto offset = proto::parse_decimal(frames[1]);
        const auto timestamp = proto::parse_decimal(frames[2]);
        if (!offset || !timestamp) {
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
        record.frames.assign(frames.begin() + 3, frames.end());
        return true;
    }
    if (command == proto::cmd_pong && frames.size() == 1) {
        if (!pings_.empty()) pings_.pop_front();
        return false;
    }
    if (command == proto::cmd_error && frames.size() >= 2) {
        const std::string code(frames[1]);
        const std::string text = frames.size() >= 3 ? std::string(frames[2]) : std::string();
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
