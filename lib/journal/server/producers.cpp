#include "journal/server/producers.hpp"

#include "base/log.hpp"
#include "base/message_io.hpp"
#include "base/peer_identity.hpp"
#include "journal/client/protocol.hpp"
#include "journal/record.hpp"

#include <algorithm>
#include <cstring>

namespace zd::journal::server {

namespace {
namespace proto = protocol;

// Routing ids are at most 255 bytes, so a length byte keeps the two parts apart.
std::string_view answer_key(std::string& buffer, std::string_view routing_id,
                            std::string_view producer) {
    buffer.clear();
    buffer.push_back(char(routing_id.size()));
    buffer.append(routing_id).append(producer);
    return buffer;
}
std::string_view key_routing_id(std::string_view key) {
    return key.substr(1, std::uint8_t(key[0]));
}
std::string_view key_producer(std::string_view key) {
    return key.substr(1 + std::uint8_t(key[0]));
}

// The record body a message would take (what --max-record limits): the producer id's length
// byte and bytes, then a length and the bytes of every frame.
std::uint64_t record_body_size(std::string_view producer, std::span<const std::string_view> frames,
                               record_identity_t identity = {}) {
    return encoded_record_size(producer, frames, identity) - record_header_size;
}

// Every frame takes at least its 4-byte length in a record body: a message with more frames
// than a body of max_body bytes holds is refused whatever their bytes. A producer's message
// also carries its routing id, an optional empty frame and the header.
std::size_t frame_limit(frontend_kind kind, std::uint32_t max_body) {
    const std::size_t data_frames = max_body / 4 + 1;
    return kind == frontend_kind::pull ? data_frames : data_frames + 3;
}
} // namespace

producers_t::producers_t(zmq::socket_t& frontend, log_t& log, const journal_config_t& config,
                         journal_counters_t& counters, sender_t& sender, retry_t& retry)
    : frontend_(frontend), log_(log), config_(config), counters_(counters), sender_(sender),
      retry_(retry), max_frames_(frame_limit(config.frontend, config.log.max_record_body)) {}

// Who sent the message just read, as the frontend authenticated it, counted per identity.
// The routing id frame a ROUTER adds carries no properties: ask the last frame, which came
// from the peer. A field longer than a record holds (255 bytes; a CURVE User-Id is 40) is
// not stored: a user id so long stores no identity, a name so long only the user id.
record_identity_t producers_t::sender_identity() {
    if (!*reads_identity_ || frames_.empty()) return {};
    const peer_identity_t peer = identity_reader_.read(frames_.back());
    identities_.count(peer.user_id, peer.name);
    if (peer.user_id.size() > max_identity_field) return {};
    return {peer.user_id, peer.name.size() > max_identity_field ? std::string_view() : peer.name};
}

void producers_t::ingest() {
    if (!reads_identity_) reads_identity_ = socket_authenticates(frontend_);
    std::size_t handled = 0;
    while (handled < config_.batch_max && log_.pending_bytes() < config_.batch_bytes) {
        const auto got = receive_message(frontend_, frames_, max_frames_, &counters_.bytes_in);
        if (got == received::nothing) break;
        ++counters_.messages_in;
        if (got == received::too_long) {
            refuse_too_long();
            continue;
        }
        view_frames(frames_, views_);
        handled += config_.frontend == frontend_kind::pull ? ingest_plain() : ingest_publish();
        if (config_.log.policy == fsync_policy::always) break; // one record per commit
    }
    if (!batch_open_ && log_.pending_records() > 0) {
        batch_open_ = true;
        batch_started_ = steady::now();
    }
}

void producers_t::refuse_too_long() {
    ++counters_.refused;
    const std::string why = "a message of more than " + std::to_string(max_frames_) +
                            " frames: its record body would be larger than --max-record " +
                            std::to_string(config_.log.max_record_body);
    if (config_.frontend == frontend_kind::pull) {
        log::error("refused " + why + " (fire-and-forget frontend: the sender is not told)");
        return;
    }
    // Only the routing id was kept: the answer goes without a REQ peer's empty frame.
    const envelope_view_t peer{frames_[0].to_string_view(), false};
    sender_.send_error(frontend_, peer, proto::status_too_large, "refused " + why);
}

std::size_t producers_t::ingest_plain() {
    const record_identity_t identity = sender_identity();
    if (!log_.append({}, 0, views_, identity)) {
        ++counters_.refused;
        log::error("refused a message whose record body (" +
                   std::to_string(record_body_size({}, views_, identity)) +
                   " bytes) is larger than "
                   "--max-record " +
                   std::to_string(config_.log.max_record_body) +
                   " (fire-and-forget frontend: the sender is not told)");
        return 0;
    }
    ++counters_.published;
    for (auto frame : views_)
        counters_.published_bytes += frame.size();
    return 1;
}

std::size_t producers_t::ingest_publish() {
    const auto decoded = proto::decode_producer(views_.data(), views_.size());
    const envelope_view_t peer{views_[0], decoded.leading_empty};
    const record_identity_t identity = sender_identity(); // every message counts
    if (!decoded.ok()) {
        ++counters_.malformed;
        sender_.send_error(frontend_, peer, proto::status_bad_request,
                           proto::describe(decoded.error));
        return 0;
    }
    if (decoded.kind == proto::kind_t::ping) {
        sender_.send_line(frontend_, peer, {proto::cmd_pong});
        return 0;
    }
    const auto& publish = decoded.publish;
    const std::string_view producer = publish.producer;
    const std::span<const std::string_view> message(views_.data() + publish.first_frame,
                                                    views_.size() - publish.first_frame);
    // In sequence only: see protocol.hpp (publish_t) for why a gap is refused.
    const producer_state_t* state = log_.producer(producer);
    if (state && publish.seq <= state->last_seq) {
        ++counters_.duplicates;
        note_ack(peer, producer, publish.seq);
        return 1;
    }
    const std::uint64_t expected =
        state ? std::max(state->last_seq + 1, publish.base) : publish.base;
    if (publish.seq != expected) {
        ++counters_.gaps;
        note_nack(peer, producer, expected);
        return 0;
    }
    if (!log_.append(producer, publish.seq, message, identity)) {
        ++counters_.refused;
        char digits[24];
        sender_.send_error(
            frontend_, peer, proto::status_too_large,
            "message " + std::string(proto::format_decimal(publish.seq, digits)) + " from " +
                std::string(producer) + ": its record body (" +
                std::to_string(record_body_size(producer, message, identity)) +
                " bytes: ids, frame lengths and bytes) is larger than --max-record " +
                std::to_string(config_.log.max_record_body));
        return 0;
    }
    ++counters_.published;
    for (auto frame : message)
        counters_.published_bytes += frame.size();
    note_ack(peer, producer, publish.seq);
    return 1;
}

// Remembers to ACK a producer after the commit, up to the highest seq of the batch.
void producers_t::note_ack(const envelope_view_t& peer, std::string_view producer,
                           std::uint64_t seq) {
    pending_answer_t& ack = pending_answer(pending_acks_, peer, producer, seq);
    ack.seq = std::max(ack.seq, seq);
}

// Remembers to NACK a producer after the commit, from the latest seq expected of it.
void producers_t::note_nack(const envelope_view_t& peer, std::string_view producer,
                            std::uint64_t seq) {
    pending_answer(pending_nacks_, peer, producer, seq).seq = seq;
}

// The pending answer to this producer on this connection, made with seq if there is none.
producers_t::pending_answer_t& producers_t::pending_answer(pending_map_t& pending,
                                                           const envelope_view_t& peer,
                                                           std::string_view producer,
                                                           std::uint64_t seq) {
    const std::string_view key = answer_key(key_buffer_, peer.routing_id, producer);
    auto found = pending.find(key);
    if (found == pending.end())
        found = pending.emplace(std::string(key), pending_answer_t{peer.leading_empty, seq}).first;
    return found->second;
}

bool producers_t::batch_full() const {
    return log_.pending_records() >= config_.batch_max ||
           log_.pending_bytes() >= config_.batch_bytes ||
           config_.log.policy == fsync_policy::always;
}

steady::time_point producers_t::commit_due() const {
    if (!batch_open_ || config_.batch_delay.count() == 0 || batch_full())
        return steady::time_point::max(); // committed in the turn that appended it
    return batch_started_ + config_.batch_delay;
}

bool producers_t::commit_if_due(steady::time_point now) {
    if (log_.pending_records() == 0) {
        send_acks(); // duplicates and gaps need no commit
        return true;
    }
    if (config_.batch_delay.count() > 0 && !disk_full_ && !batch_full() &&
        now < batch_started_ + config_.batch_delay)
        return true; // more may come: ACKs wait with the batch
    return commit();
}

bool producers_t::commit() {
    const auto result = log_.commit();
    switch (result.status) {
    case io_status::ok:
        ++counters_.commits;
        if (disk_full_) log::info("disk space is back: acknowledging and reading again");
        disk_full_ = false;
        batch_open_ = false;
        send_acks();
        return true;
    case io_status::disk_full:
        if (!disk_full_) {
            ++counters_.disk_full_events;
            log::error(std::string("disk full (") + std::strerror(result.error) +
                       "): not acknowledging or reading producers until space is freed");
        }
        disk_full_ = true;
        retry_.after(std::chrono::milliseconds(200));
        return true;
    case io_status::failed:
        log::error(std::string("write or fsync failed (") + std::strerror(result.error) +
                   "): nothing more is acknowledged; restart to recover");
        failed_ = true;
        return false;
    }
    return false;
}

// After a successful commit: every producer of the batch learns how far it is durable, or
// where to resend from.
void producers_t::send_acks() {
    char digits[24];
    for (const auto& [key, ack] : pending_acks_) {
        const std::string_view producer = key_producer(key);
        std::uint64_t seq = ack.seq;
        if (const producer_state_t* state = log_.producer(producer))
            seq = std::max(seq, state->last_seq);
        if (sender_.send_line(frontend_, {key_routing_id(key), ack.leading_empty},
                              {proto::cmd_ack, producer, proto::format_decimal(seq, digits)}) ==
            send_status::ok)
            ++counters_.acks_sent;
    }
    pending_acks_.clear();
    for (const auto& [key, nack] : pending_nacks_) {
        // A resend later in the same batch may have filled the gap already.
        const producer_state_t* state = log_.producer(key_producer(key));
        if (state && state->last_seq >= nack.seq) continue;
        sender_.send_line(
            frontend_, {key_routing_id(key), nack.leading_empty},
            {proto::cmd_nack, key_producer(key), proto::format_decimal(nack.seq, digits)});
    }
    pending_nacks_.clear();
}

} // namespace zd::journal::server
