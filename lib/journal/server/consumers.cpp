#include "journal/server/consumers.hpp"

#include "base/json_writer.hpp"
#include "base/log.hpp"
#include "base/message_io.hpp"
#include "journal/server/positions.hpp"

#include <algorithm>

namespace zd::journal::server {

namespace proto = protocol;

consumers_t::consumers_t(zmq::socket_t& backend, log_t& log, const journal_config_t& config,
                         journal_counters_t& counters, sender_t& sender, retry_t& retry)
    : backend_(backend), log_(log), config_(config), counters_(counters), sender_(sender),
      retry_(retry), offsets_(load_consumer_offsets(config.log.dir)) {
    if (config.backend == backend_kind::router) return;
    // A plain backend resumes where the last run stopped handing records over; the first run
    // on a directory forwards what is committed from its start on.
    const auto stored = offsets_.find(plain_backend_entry);
    const std::uint64_t start =
        stored == offsets_.end()
            ? log.durable_next()
            : std::clamp(stored->second, log.first_offset(), log.durable_next());
    plain_cursor_ = log.open_cursor(start);
    plain_reserved_ = start;
    store_offset(std::string(plain_backend_entry), start);
}

void consumers_t::serve() {
    for (int burst = 0; burst < 1000; ++burst) {
        const auto got = receive_message(backend_, frames_, max_frames, &counters_.bytes_in);
        if (got == received::nothing) return;
        ++counters_.messages_in;
        if (got == received::too_long) {
            ++counters_.malformed;
            sender_.send_error(backend_, {frames_[0].to_string_view(), false},
                               proto::status_bad_request,
                               proto::describe(proto::error_t::extra_frames));
            continue;
        }
        view_frames(frames_, views_);
        const auto decoded = proto::decode_consumer(views_.data(), views_.size());
        const envelope_view_t peer{views_[0], decoded.leading_empty};
        if (!decoded.ok()) {
            ++counters_.malformed;
            sender_.send_error(backend_, peer, proto::status_bad_request,
                               proto::describe(decoded.error));
            continue;
        }
        note_heard_from(peer.routing_id);
        switch (decoded.kind) {
        case proto::kind_t::subscribe:
            subscribe(peer, decoded.subscribe);
            break;
        case proto::kind_t::consumer_ack:
            acknowledge(peer, decoded.ack.offset);
            break;
        case proto::kind_t::ping:
            sender_.send_line(backend_, peer, {proto::cmd_pong});
            break;
        default:
            ++counters_.malformed;
            break;
        }
    }
}

void consumers_t::subscribe(const envelope_view_t& peer, const proto::subscribe_t& request) {
    const std::string name(request.name);
    const auto stored = offsets_.find(name);
    const auto start = resolve_position(log_, request.position,
                                        stored == offsets_.end() ? nullptr : &stored->second);
    if (!start.ok) {
        sender_.send_error(backend_, peer, start.error_code, start.error_text);
        return;
    }
    // A new SUB for a name takes it over from any earlier connection.
    std::uint64_t delivered_next = start.offset;
    if (auto old = consumers_.find(name); old != consumers_.end()) {
        consumer_of_peer_.erase(old->second.peer.routing_id);
        counters_.redelivered += old->second.cursor->position() - old->second.acked_next;
        delivered_next = std::max(delivered_next, old->second.delivered_next);
    }
    if (auto previous = consumer_of_peer_.find(peer.routing_id);
        previous != consumer_of_peer_.end() && previous->second != name)
        consumers_.erase(previous->second);
    subscription_t& consumer = consumers_[name];
    consumer.peer = {std::string(peer.routing_id), peer.leading_empty};
    consumer.window = request.window;
    consumer.origin = request.origin;
    consumer.acked_next = start.offset;
    consumer.delivered_next = delivered_next;
    consumer.cursor = log_.open_cursor(start.offset);
    consumer.last_seen = steady::now();
    consumer_of_peer_[consumer.peer.routing_id] = name;
    // The stored position of a known name moves only with its ACKs (docs/JOURNAL.md): a SUB
    // elsewhere is a look, not a seek. A new name is registered where it starts.
    if (stored == offsets_.end()) store_offset(name, start.offset);
    log::debug("consumer '" + name + "' subscribed at offset " + std::to_string(start.offset));
}

// Any message from a subscribed peer shows its connection is alive (the helpers SUB again
// after 1 s of silence; other clients PING).
void consumers_t::note_heard_from(std::string_view routing_id) {
    const auto name = consumer_of_peer_.find(routing_id);
    if (name == consumer_of_peer_.end()) return;
    if (const auto consumer = consumers_.find(name->second); consumer != consumers_.end())
        consumer->second.last_seen = steady::now();
}

void consumers_t::store_offset(const std::string& name, std::uint64_t next) {
    auto [entry, added] = offsets_.try_emplace(name, next);
    if (!added && entry->second == next) return;
    entry->second = next;
    offsets_dirty_ = true;
}

void consumers_t::acknowledge(const envelope_view_t& peer, std::uint64_t offset) {
    const auto name = consumer_of_peer_.find(peer.routing_id);
    if (name == consumer_of_peer_.end()) {
        ++counters_.malformed;
        sender_.send_error(backend_, peer, proto::status_bad_request, "ACK before SUB");
        return;
    }
    subscription_t& consumer = consumers_.at(name->second);
    ++counters_.consumer_acks;
    // Cumulative, and never past what this name was sent: a consumer cannot skip records.
    if (offset >= consumer.delivered_next) {
        char a[24], b[24];
        sender_.send_error(backend_, peer, proto::status_bad_request,
                           "ACK " + std::string(proto::format_decimal(offset, a)) +
                               " is beyond what was delivered (next to deliver is " +
                               std::string(proto::format_decimal(consumer.delivered_next, b)) +
                               ")");
        return;
    }
    // Below the SUB's start: an ACK from before it, stale. At the start - 1: the consumer
    // confirms where it stands, which makes that its stored position.
    const std::uint64_t next = offset + 1;
    if (next < consumer.acked_next) return;
    consumer.acked_next = next;
    // Sent before a SUB rewound this name: acknowledged now, so not sent again.
    if (consumer.cursor->position() < next) consumer.cursor = log_.open_cursor(next);
    store_offset(name->second, next);
}

void consumers_t::deliver() {
    for (auto it = consumers_.begin(); it != consumers_.end();) {
        const std::uint64_t delivered_before = counters_.delivered;
        if (deliver_to(it->second)) {
            // A send the peer's pipe took shows it is still there.
            if (counters_.delivered != delivered_before) it->second.last_seen = steady::now();
            ++it;
        } else { // gone: its offset stays stored; a new SUB resumes there
            consumer_of_peer_.erase(it->second.peer.routing_id);
            it = consumers_.erase(it);
        }
    }
    if (plain_cursor_) deliver_plain();
}

send_status consumers_t::send_record(const subscription_t& consumer, const record_view_t& record) {
    // A quarantine marker's id has a space: it is no producer, and would break the line.
    if (consumer.origin && !is_quarantine_marker(record))
        return sender_.send_record_with_origin(backend_, consumer.peer.view(), record.meta.offset,
                                               record.meta.timestamp_ns, record.meta.producer_id,
                                               record.meta.producer_seq, record.frames);
    return sender_.send_record(backend_, consumer.peer.view(), record.meta.offset,
                               record.meta.timestamp_ns, record.frames);
}

bool consumers_t::deliver_to(subscription_t& consumer) {
    while (consumer.cursor->position() - consumer.acked_next < consumer.window) {
        const std::uint64_t at = consumer.cursor->position();
        const auto record = consumer.cursor->next();
        if (!record) return true;
        const auto status = send_record(consumer, *record);
        if (status == send_status::gone) return false;
        if (status == send_status::full) {
            consumer.cursor = log_.open_cursor(at); // this record again, later
            retry_.after(full_peer_retry);
            return true;
        }
        consumer.delivered_next = std::max(consumer.delivered_next, consumer.cursor->position());
        ++counters_.delivered;
        counters_.delivered_bytes += record->encoded_size;
    }
    return true;
}

// Records go to the socket only below the stored position: at-most-once holds across a
// kill -9 too (a run killed resumes at the reservation, never before a record it handed
// over). The reservation is written when delivery reaches it, for up to batch_max committed
// records at a time, so the file is written at most once per group commit's worth.
void consumers_t::deliver_plain() {
    for (int sent = 0; sent < 10000; ++sent) {
        const std::uint64_t at = plain_cursor_->position();
        if (at >= plain_reserved_ && (at >= log_.durable_next() || !reserve_plain(at))) return;
        const auto record = plain_cursor_->next();
        if (!record) return;
        const auto status = sender_.send_message(backend_, nullptr, {}, &record->frames);
        if (status == send_status::full) { // PUSH with no room (PUB never blocks)
            plain_cursor_ = log_.open_cursor(at);
            retry_.after(full_peer_retry);
            return;
        }
        ++counters_.delivered;
        counters_.delivered_bytes += record->encoded_size;
    }
}

// Reserves the records from at on (up to batch_max, committed ones) for handing to the plain
// socket: stores the position past them first. Not while the socket has no room (a PUSH
// without peers, or at its high-water mark): a kill -9 would skip what was reserved and never
// handed over.
bool consumers_t::reserve_plain(std::uint64_t at) {
    if (!(backend_.get(zmq::sockopt::events) & ZMQ_POLLOUT)) {
        retry_.after(full_peer_retry);
        return false;
    }
    const std::uint64_t until = std::min<std::uint64_t>(
        log_.durable_next(), at + std::max<std::size_t>(config_.batch_max, 1));
    store_offset(std::string(plain_backend_entry), until);
    try {
        store_consumer_offsets(config_.log.dir, offsets_);
    } catch (const std::exception& error) {
        store_offset(std::string(plain_backend_entry), plain_reserved_);
        log::error(std::string("cannot store the plain backend's position: ") + error.what() +
                   " (delivery waits)");
        retry_.after(std::chrono::milliseconds(200));
        return false;
    }
    offsets_dirty_ = false;
    plain_reserved_ = until;
    return true;
}

std::optional<consumers_t::plain_position_t> consumers_t::plain_position() const {
    if (!plain_cursor_) return std::nullopt;
    return plain_position_t{plain_cursor_->position(), plain_reserved_};
}

// Offsets are written lazily: losing the last few ACKs to a crash only means redelivery.
void consumers_t::write_offsets_if_due(steady::time_point now, bool force) {
    // At a clean stop the plain position becomes exactly what was handed to the socket.
    if (force && plain_cursor_)
        store_offset(std::string(plain_backend_entry), plain_cursor_->position());
    if (!offsets_dirty_ || (!force && now < next_offsets_write_)) return;
    try {
        store_consumer_offsets(config_.log.dir, offsets_);
        offsets_dirty_ = false;
    } catch (const std::exception& error) {
        log::error(std::string("cannot store consumer offsets: ") + error.what() +
                   " (consumers will be sent records again after a restart)");
    }
    next_offsets_write_ = now + config_.offsets_interval;
}

steady::time_point consumers_t::offsets_due() const {
    return offsets_dirty_ ? next_offsets_write_ : steady::time_point::max();
}

std::uint64_t consumers_t::keep_from(std::uint64_t limit) const {
    if (config_.slow_consumers != slow_consumer_policy::keep) return limit;
    for (const auto& [name, next] : offsets_)
        if (name != plain_backend_entry) limit = std::min(limit, next);
    if (plain_cursor_) limit = std::min(limit, plain_cursor_->position()); // its backlog
    // A subscription reading behind its stored position (SUB from an earlier one).
    for (const auto& [name, consumer] : consumers_)
        limit = std::min(limit, consumer.acked_next);
    return limit;
}

// "connected": the subscription exists and its peer showed signs of life within
// consumer_liveness. A delivery to a peer that left fails at once (ROUTER_MANDATORY), but an
// idle consumer is sent nothing, so silence is the only sign that it left.
void consumers_t::write_stats(json_writer_t& json) const {
    const auto now = steady::now();
    json.begin_array();
    for (const auto& [name, next] : offsets_) {
        if (name == plain_backend_entry) continue; // STATS "plain_backend"
        json.begin_object().key("name").value(name).key("acked_next").value(next);
        const auto live = consumers_.find(name);
        const bool subscribed = live != consumers_.end();
        const auto silent = subscribed ? now - live->second.last_seen : steady::duration::max();
        json.key("connected").value(subscribed && silent < config_.consumer_liveness);
        if (subscribed)
            json.key("silent_ms")
                .value(std::uint64_t(
                    std::chrono::duration_cast<std::chrono::milliseconds>(silent).count()))
                .key("position")
                .value(live->second.cursor->position())
                .key("window")
                .value(std::uint64_t(live->second.window));
        json.end_object();
    }
    json.end_array();
}

} // namespace zd::journal::server
