#include "journal/journal_server.hpp"

#include "base/json_writer.hpp"
#include "base/log.hpp"
#include "base/stop_signal.hpp"
#include "journal/protocol.hpp"
#include "journal/record.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <unistd.h>

namespace zd::journal {

namespace {
using steady = std::chrono::steady_clock;
namespace proto = protocol;

enum class send_status { ok, full, gone };

// Sends one frame without blocking. A ROUTER with ROUTER_MANDATORY refuses the first frame
// with EAGAIN when the peer is at its HWM and EHOSTUNREACH when it is gone; once the first
// frame is taken, the rest of the message is too.
send_status send_frame(zmq::socket_t& socket, std::string_view data, bool more) {
    if (zmq_send(socket.handle(), data.data(), data.size(),
                 ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0)) >= 0)
        return send_status::ok;
    return errno == EAGAIN ? send_status::full : send_status::gone;
}

std::string_view view(const zmq::message_t& frame) {
    return {static_cast<const char*>(frame.data()), frame.size()};
}

// Reads one whole message without blocking. Returns false if none is waiting.
bool receive_message(zmq::socket_t& socket, std::vector<zmq::message_t>& frames,
                     std::vector<std::string_view>& views, std::uint64_t& bytes) {
    frames.clear();
    views.clear();
    while (true) {
        frames.emplace_back();
        if (zmq_msg_recv(frames.back().handle(), socket.handle(), ZMQ_DONTWAIT) < 0) {
            frames.pop_back();
            if (frames.empty()) return false;
            continue; // the rest of a message is always there once its first frame is
        }
        bytes += frames.back().size();
        if (!frames.back().more()) break;
    }
    for (const auto& frame : frames)
        views.push_back(view(frame));
    return true;
}

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

// A consumer that subscribed by name on the backend ROUTER.
struct consumer_t {
    envelope_t peer;
    std::uint32_t window = proto::default_window;
    std::uint64_t acked_next = 0;            // first offset not acknowledged since the SUB
    std::uint64_t delivered_next = 0;        // past the highest offset this name was sent
    std::unique_ptr<log_t::cursor_t> cursor; // the next record to send
};

// The record body a message would take (what --max-record limits): the producer id's length
// byte and bytes, then a length and the bytes of every frame.
std::uint64_t record_body_size(std::string_view producer,
                               std::span<const std::string_view> frames) {
    return encoded_record_size(producer, frames) - record_header_size;
}

// A READ being answered on the replay socket.
struct read_request_t {
    envelope_t peer;
    std::unique_ptr<log_t::cursor_t> cursor;
    std::uint32_t remaining = 0;
};

// The producers a batch must answer, keyed by routing id and producer id packed in one
// string (see ack_key): looked up by string_view, so a message of a producer already in the
// batch costs no allocation.
struct pending_ack_t {
    bool leading_empty = false;
    std::uint64_t seq = 0; // ACK: the highest seq seen; NACK: the seq expected
};
struct string_hash_t {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
        return std::hash<std::string_view>()(text);
    }
};
using pending_map_t =
    std::unordered_map<std::string, pending_ack_t, string_hash_t, std::equal_to<>>;

// Routing ids are at most 255 bytes, so a length byte keeps the two parts apart.
std::string_view ack_key(std::string& buffer, std::string_view routing_id,
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

zmq::socket_type frontend_type(frontend_kind kind) {
    return kind == frontend_kind::pull ? zmq::socket_type::pull : zmq::socket_type::router;
}
zmq::socket_type backend_type(backend_kind kind) {
    switch (kind) {
    case backend_kind::push:
        return zmq::socket_type::push;
    case backend_kind::pub:
        return zmq::socket_type::pub;
    default:
        return zmq::socket_type::router;
    }
}
} // namespace

struct journal_server_t::impl_t {
    impl_t(zmq::context_t& context, const journal_config_t& config)
        : config(config), log(config.log), offsets(load_consumer_offsets(config.log.dir)),
          frontend(context, frontend_type(config.frontend)),
          backend(context, backend_type(config.backend)) {}

    journal_config_t config;
    log_t log;
    consumer_table_t offsets; // durable consumer offsets, as last loaded or stored
    bool offsets_dirty = false;
    zmq::socket_t frontend;
    zmq::socket_t backend;
    std::optional<zmq::socket_t> replay;
    std::optional<control_server_t> control;
    journal_counters_t counters;

    std::vector<zmq::message_t> frames;
    std::vector<std::string_view> views;
    pending_map_t pending_acks;
    pending_map_t pending_nacks;
    std::string key_buffer; // ack_key's
    std::string line_;      // the header line being sent

    std::unordered_map<std::string, consumer_t> consumers; // by name
    std::unordered_map<std::string, std::string, string_hash_t, std::equal_to<>>
        consumer_of_peer;                          // routing id -> name
    std::unique_ptr<log_t::cursor_t> plain_cursor; // PUSH/PUB backend
    std::deque<read_request_t> reads;

    bool paused = false;
    bool terminate = false;
    bool disk_full = false;
    bool failed = false;
    steady::time_point started = steady::now();
    steady::time_point next_offsets_write = steady::now();
    steady::time_point next_retention = steady::now();
    steady::time_point next_retry = steady::time_point::max(); // disk full or stalled peers

    // --- sending ------------------------------------------------------------------------
    send_status send_envelope(zmq::socket_t& socket, const envelope_view_t& peer) {
        const auto status = send_frame(socket, peer.routing_id, true);
        if (status != send_status::ok) return status;
        if (peer.leading_empty) send_frame(socket, {}, true);
        return send_status::ok;
    }

    // Sends envelope + the given frames. Returns how it went; counts bytes out.
    send_status send_message(zmq::socket_t& socket, const envelope_view_t* peer,
                             std::initializer_list<std::string_view> head,
                             const std::vector<std::string_view>* tail = nullptr) {
        if (peer) {
            const auto status = send_envelope(socket, *peer);
            if (status != send_status::ok) {
                if (status == send_status::gone) ++counters.undeliverable;
                return status;
            }
        }
        const std::size_t tail_count = tail ? tail->size() : 0;
        std::size_t index = 0;
        const std::size_t total = head.size() + tail_count;
        for (std::string_view frame : head) {
            const auto status = send_frame(socket, frame, ++index < total);
            if (status != send_status::ok) return status; // only the first frame can fail
            counters.bytes_out += frame.size();
        }
        for (std::size_t i = 0; i < tail_count; ++i) {
            const auto status = send_frame(socket, (*tail)[i], ++index < total);
            if (status != send_status::ok) return status;
            counters.bytes_out += (*tail)[i].size();
        }
        ++counters.messages_out;
        return send_status::ok;
    }

    // Joins tokens with single spaces: a header line (valid until the next call).
    std::string_view line(std::initializer_list<std::string_view> tokens) {
        line_.clear();
        for (std::string_view token : tokens) {
            if (!line_.empty()) line_.push_back(' ');
            line_.append(token);
        }
        return line_;
    }

    // A header line alone, to a peer.
    send_status send_line(zmq::socket_t& socket, const envelope_view_t& peer,
                          std::initializer_list<std::string_view> tokens) {
        return send_message(socket, &peer, {line(tokens)});
    }

    void send_error(zmq::socket_t& socket, const envelope_view_t& peer, std::string_view code,
                    const std::string& text) {
        send_line(socket, peer, {proto::cmd_error, code, text});
    }

    // --- producers ----------------------------------------------------------------------
    // Reads and appends up to a batch of producer messages: --batch-max of them that need a
    // commit or an answer, or --batch-bytes appended, whichever comes first.
    void ingest_batch(steady::time_point deadline) {
        std::size_t handled = 0;
        while (handled < config.batch_max && log.pending_bytes() < config.batch_bytes) {
            if (!receive_message(frontend, frames, views, counters.bytes_in)) {
                if (config.batch_delay.count() == 0 || steady::now() >= deadline) break;
                zmq_pollitem_t item{frontend.handle(), 0, ZMQ_POLLIN, 0};
                const auto left =
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
                if (zmq_poll(&item, 1, std::max<long>(1, long(left.count()))) <= 0) break;
                continue;
            }
            ++counters.messages_in;
            handled += config.frontend == frontend_kind::pull ? ingest_plain() : ingest_publish();
            if (config.log.policy == fsync_policy::always) break; // one record per commit
        }
    }

    std::size_t ingest_plain() {
        if (!log.append({}, 0, views)) {
            ++counters.refused;
            log::error("refused a message whose record body (" +
                       std::to_string(record_body_size({}, views)) +
                       " bytes) is larger than "
                       "--max-record " +
                       std::to_string(config.log.max_record_body) +
                       " (fire-and-forget frontend: the sender is not told)");
            return 0;
        }
        ++counters.published;
        for (auto frame : views)
            counters.published_bytes += frame.size();
        return 1;
    }

    std::size_t ingest_publish() {
        const auto decoded = proto::decode_producer(views.data(), views.size());
        const envelope_view_t peer{views[0], decoded.leading_empty};
        if (!decoded.ok()) {
            ++counters.malformed;
            send_error(frontend, peer, proto::status_bad_request, proto::describe(decoded.error));
            return 0;
        }
        if (decoded.kind == proto::kind_t::ping) {
            send_line(frontend, peer, {proto::cmd_pong});
            return 0;
        }
        const auto& publish = decoded.publish;
        const std::string_view producer = publish.producer;
        const std::span<const std::string_view> message(views.data() + publish.first_frame,
                                                        views.size() - publish.first_frame);
        // In sequence only: see protocol.hpp (publish_t) for why a gap is refused.
        const producer_state_t* state = log.producer(producer);
        if (state && publish.seq <= state->last_seq) {
            ++counters.duplicates;
            note_ack(peer, producer, publish.seq);
            return 1;
        }
        const std::uint64_t expected =
            state ? std::max(state->last_seq + 1, publish.base) : publish.base;
        if (publish.seq != expected) {
            ++counters.gaps;
            note_nack(peer, producer, expected);
            return 0;
        }
        if (!log.append(producer, publish.seq, message)) {
            ++counters.refused;
            char digits[24];
            send_error(frontend, peer, proto::status_too_large,
                       "message " + std::string(proto::format_decimal(publish.seq, digits)) +
                           " from " + std::string(producer) + ": its record body (" +
                           std::to_string(record_body_size(producer, message)) +
                           " bytes: id, frame lengths and bytes) is larger than --max-record " +
                           std::to_string(config.log.max_record_body));
            return 0;
        }
        ++counters.published;
        for (auto frame : message)
            counters.published_bytes += frame.size();
        note_ack(peer, producer, publish.seq);
        return 1;
    }

    // Remembers to ACK a producer after the commit, up to the highest seq of the batch.
    void note_ack(const envelope_view_t& peer, std::string_view producer, std::uint64_t seq) {
        pending_ack_t& ack = pending_answer(pending_acks, peer, producer, seq);
        ack.seq = std::max(ack.seq, seq);
    }

    // Remembers to NACK a producer after the commit, from the latest seq expected of it.
    void note_nack(const envelope_view_t& peer, std::string_view producer, std::uint64_t seq) {
        pending_answer(pending_nacks, peer, producer, seq).seq = seq;
    }

    // The pending answer to this producer on this connection, made with seq if there is none.
    pending_ack_t& pending_answer(pending_map_t& pending, const envelope_view_t& peer,
                                  std::string_view producer, std::uint64_t seq) {
        const std::string_view key = ack_key(key_buffer, peer.routing_id, producer);
        auto found = pending.find(key);
        if (found == pending.end())
            found = pending.emplace(std::string(key), pending_ack_t{peer.leading_empty, seq}).first;
        return found->second;
    }

    // After a successful commit: every producer of the batch learns how far it is durable,
    // or where to resend from.
    void send_acks() {
        char digits[24];
        for (const auto& [key, ack] : pending_acks) {
            const std::string_view producer = key_producer(key);
            std::uint64_t seq = ack.seq;
            if (const producer_state_t* state = log.producer(producer))
                seq = std::max(seq, state->last_seq);
            if (send_line(frontend, {key_routing_id(key), ack.leading_empty},
                          {proto::cmd_ack, producer, proto::format_decimal(seq, digits)}) ==
                send_status::ok)
                ++counters.acks_sent;
        }
        pending_acks.clear();
        for (const auto& [key, nack] : pending_nacks) {
            // A resend later in the same batch may have filled the gap already.
            const producer_state_t* state = log.producer(key_producer(key));
            if (state && state->last_seq >= nack.seq) continue;
            send_line(
                frontend, {key_routing_id(key), nack.leading_empty},
                {proto::cmd_nack, key_producer(key), proto::format_decimal(nack.seq, digits)});
        }
        pending_nacks.clear();
    }

    // Commits what is pending. Returns false when the log failed for good.
    bool commit_pending() {
        if (log.pending_records() == 0) {
            send_acks(); // duplicates and gaps need no commit
            return true;
        }
        const auto result = log.commit();
        switch (result.status) {
        case io_status::ok:
            ++counters.commits;
            if (disk_full) log::info("disk space is back: acknowledging and reading again");
            disk_full = false;
            send_acks();
            return true;
        case io_status::disk_full:
            if (!disk_full) {
                ++counters.disk_full_events;
                log::error(std::string("disk full (") + std::strerror(result.error) +
                           "): not acknowledging or reading producers until space is freed");
            }
            disk_full = true;
            next_retry = std::min(next_retry, steady::now() + std::chrono::milliseconds(200));
            return true;
        case io_status::failed:
            log::error(std::string("write or fsync failed (") + std::strerror(result.error) +
                       "): nothing more is acknowledged; restart to recover");
            failed = true;
            return false;
        }
        return false;
    }

    // --- consumers ----------------------------------------------------------------------
    void serve_backend() {
        for (int burst = 0; burst < 1000; ++burst) {
            if (!receive_message(backend, frames, views, counters.bytes_in)) return;
            ++counters.messages_in;
            if (config.backend != backend_kind::router) continue; // PUSH/PUB never receive
            const auto decoded = proto::decode_consumer(views.data(), views.size());
            const envelope_view_t peer{views[0], decoded.leading_empty};
            if (!decoded.ok()) {
                ++counters.malformed;
                send_error(backend, peer, proto::status_bad_request,
                           proto::describe(decoded.error));
                continue;
            }
            switch (decoded.kind) {
            case proto::kind_t::subscribe:
                subscribe(peer, decoded.subscribe);
                break;
            case proto::kind_t::consumer_ack:
                consumer_ack(peer, decoded.ack.offset);
                break;
            case proto::kind_t::ping:
                send_line(backend, peer, {proto::cmd_pong});
                break;
            default:
                ++counters.malformed;
                break;
            }
        }
    }

    // Where a position points now, or nullopt (with the ERR sent) if it cannot be served.
    std::optional<std::uint64_t> resolve(zmq::socket_t& socket, const envelope_view_t& peer,
                                         const proto::position_t& position, std::string_view name) {
        using kind = proto::position_t::kind;
        switch (position.from) {
        case kind::stored: {
            const auto found = offsets.find(name);
            const std::uint64_t stored = found == offsets.end() ? 0 : found->second;
            return std::clamp(stored, log.first_offset(), log.durable_next());
        }
        case kind::earliest:
            return log.first_offset();
        case kind::latest:
            return log.durable_next();
        case kind::time:
            return log.offset_for_time(std::int64_t(position.value) * 1000000);
        case kind::offset:
            break;
        }
        char a[24], b[24];
        if (position.value < log.first_offset()) {
            send_error(socket, peer, proto::status_not_retained,
                       "offset " + std::string(proto::format_decimal(position.value, a)) +
                           " is no longer retained (earliest is " +
                           std::string(proto::format_decimal(log.first_offset(), b)) + ")");
            return std::nullopt;
        }
        if (position.value > log.durable_next()) {
            send_error(socket, peer, proto::status_bad_request,
                       "offset " + std::string(proto::format_decimal(position.value, a)) +
                           " is past the end (next is " +
                           std::string(proto::format_decimal(log.durable_next(), b)) + ")");
            return std::nullopt;
        }
        return position.value;
    }

    void subscribe(const envelope_view_t& peer, const proto::subscribe_t& request) {
        const std::string name(request.name);
        const auto start = resolve(backend, peer, request.position, name);
        if (!start) return;
        // A new SUB for a name takes it over from any earlier connection.
        std::uint64_t delivered_next = *start;
        if (auto old = consumers.find(name); old != consumers.end()) {
            consumer_of_peer.erase(old->second.peer.routing_id);
            counters.redelivered += old->second.cursor->position() - old->second.acked_next;
            delivered_next = std::max(delivered_next, old->second.delivered_next);
        }
        if (auto previous = consumer_of_peer.find(peer.routing_id);
            previous != consumer_of_peer.end() && previous->second != name)
            consumers.erase(previous->second);
        consumer_t& consumer = consumers[name];
        consumer.peer = {std::string(peer.routing_id), peer.leading_empty};
        consumer.window = request.window;
        consumer.acked_next = *start;
        consumer.delivered_next = delivered_next;
        consumer.cursor = log.open_cursor(*start);
        consumer_of_peer[consumer.peer.routing_id] = name;
        // The stored position of a known name moves only with its ACKs (docs/JOURNAL.md): a
        // SUB elsewhere is a look, not a seek. A new name is registered where it starts.
        if (!offsets.contains(name)) store_offset(name, *start);
        log::debug("consumer '" + name + "' subscribed at offset " + std::to_string(*start));
    }

    void store_offset(const std::string& name, std::uint64_t next) {
        auto [entry, added] = offsets.try_emplace(name, next);
        if (!added && entry->second == next) return;
        entry->second = next;
        offsets_dirty = true;
    }

    void consumer_ack(const envelope_view_t& peer, std::uint64_t offset) {
        const auto name = consumer_of_peer.find(peer.routing_id);
        if (name == consumer_of_peer.end()) {
            ++counters.malformed;
            send_error(backend, peer, proto::status_bad_request, "ACK before SUB");
            return;
        }
        consumer_t& consumer = consumers.at(name->second);
        ++counters.consumer_acks;
        // Cumulative, and never past what this name was sent: a consumer cannot skip records.
        if (offset >= consumer.delivered_next) {
            char a[24], b[24];
            send_error(backend, peer, proto::status_bad_request,
                       "ACK " + std::string(proto::format_decimal(offset, a)) +
                           " is beyond what was delivered (next to deliver is " +
                           std::string(proto::format_decimal(consumer.delivered_next, b)) + ")");
            return;
        }
        // Below the SUB's start: an ACK from before it, stale. At the start - 1: the consumer
        // confirms where it stands, which makes that its stored position.
        const std::uint64_t next = offset + 1;
        if (next < consumer.acked_next) return;
        consumer.acked_next = next;
        // Sent before a SUB rewound this name: acknowledged now, so not sent again.
        if (consumer.cursor->position() < next) consumer.cursor = log.open_cursor(next);
        store_offset(name->second, next);
    }

    // Sends committed records to every consumer with room in its window.
    void deliver() {
        for (auto it = consumers.begin(); it != consumers.end();) {
            if (deliver_to(it->second))
                ++it;
            else { // gone: its offset stays stored; a new SUB resumes there
                consumer_of_peer.erase(it->second.peer.routing_id);
                it = consumers.erase(it);
            }
        }
        if (plain_cursor) deliver_plain();
    }

    // Returns false if the consumer is gone.
    bool deliver_to(consumer_t& consumer) {
        char offset_digits[24], time_digits[24];
        while (consumer.cursor->position() - consumer.acked_next < consumer.window) {
            const std::uint64_t at = consumer.cursor->position();
            const auto record = consumer.cursor->next();
            if (!record) return true;
            const envelope_view_t peer = consumer.peer.view();
            const auto status = send_message(
                backend, &peer,
                {line({proto::cmd_record, proto::format_decimal(record->meta.offset, offset_digits),
                       proto::format_decimal(std::uint64_t(record->meta.timestamp_ns),
                                             time_digits)})},
                &record->frames);
            if (status == send_status::gone) return false;
            if (status == send_status::full) {
                consumer.cursor = log.open_cursor(at); // this record again, later
                next_retry = std::min(next_retry, steady::now() + std::chrono::milliseconds(5));
                return true;
            }
            consumer.delivered_next =
                std::max(consumer.delivered_next, consumer.cursor->position());
            ++counters.delivered;
            counters.delivered_bytes += record->encoded_size;
        }
        return true;
    }

    void deliver_plain() {
        for (int sent = 0; sent < 10000; ++sent) {
            const std::uint64_t at = plain_cursor->position();
            const auto record = plain_cursor->next();
            if (!record) return;
            const auto status = send_message(backend, nullptr, {}, &record->frames);
            if (status == send_status::full) { // PUSH with no room (PUB never blocks)
                plain_cursor = log.open_cursor(at);
                next_retry = std::min(next_retry, steady::now() + std::chrono::milliseconds(5));
                return;
            }
            ++counters.delivered;
            counters.delivered_bytes += record->encoded_size;
        }
    }

    // Offsets are written lazily: losing the last few ACKs to a crash only means redelivery.
    void write_offsets_if_due(steady::time_point now, bool force) {
        if (!offsets_dirty || (!force && now < next_offsets_write)) return;
        try {
            store_consumer_offsets(config.log.dir, offsets);
            offsets_dirty = false;
        } catch (const std::exception& error) {
            log::error(std::string("cannot store consumer offsets: ") + error.what() +
                       " (consumers will be sent records again after a restart)");
        }
        next_offsets_write = now + config.offsets_interval;
    }

    void apply_retention_if_due(steady::time_point now) {
        if (now < next_retention) return;
        next_retention = now + config.retention_interval;
        std::uint64_t keep_from = log.durable_next();
        if (config.slow_consumers == slow_consumer_policy::keep) {
            for (const auto& [name, next] : offsets)
                keep_from = std::min(keep_from, next);
            // A subscription reading behind its stored position (SUB from an earlier one).
            for (const auto& [name, consumer] : consumers)
                keep_from = std::min(keep_from, consumer.acked_next);
        }
        for (const auto& read : reads)
            keep_from = std::min(keep_from, read.cursor->position());
        if (const std::size_t deleted =
                log.apply_retention(keep_from, std::chrono::system_clock::now()))
            log::debug("retention deleted " + std::to_string(deleted) + " segment(s)");
    }

    // --- replay -------------------------------------------------------------------------
    void serve_replay_requests() {
        for (int burst = 0; burst < 1000; ++burst) {
            if (!receive_message(*replay, frames, views, counters.bytes_in)) return;
            ++counters.messages_in;
            const auto decoded = proto::decode_reader(views.data(), views.size());
            const envelope_view_t peer{views[0], decoded.leading_empty};
            if (!decoded.ok()) {
                ++counters.malformed;
                send_error(*replay, peer, proto::status_bad_request,
                           proto::describe(decoded.error));
                continue;
            }
            if (decoded.kind == proto::kind_t::ping) {
                send_line(*replay, peer, {proto::cmd_pong});
                continue;
            }
            const auto start = resolve(*replay, peer, decoded.read.position, {});
            if (!start) continue;
            reads.push_back({envelope_t{std::string(peer.routing_id), peer.leading_empty},
                             log.open_cursor(*start), decoded.read.count});
        }
    }

    enum class read_progress { finished, gone, full, out_of_budget };

    // Sends what the budget allows of one READ, then its END once it is complete.
    read_progress continue_read(read_request_t& read, std::size_t& budget) {
        char offset_digits[24], time_digits[24];
        const envelope_view_t peer = read.peer.view();
        while (read.remaining > 0) {
            if (budget == 0) return read_progress::out_of_budget;
            const std::uint64_t at = read.cursor->position();
            const auto record = read.cursor->next();
            if (!record) break; // the committed end: END says where to go on
            const auto status = send_message(
                *replay, &peer,
                {line({proto::cmd_record, proto::format_decimal(record->meta.offset, offset_digits),
                       proto::format_decimal(std::uint64_t(record->meta.timestamp_ns),
                                             time_digits)})},
                &record->frames);
            if (status == send_status::gone) return read_progress::gone;
            if (status == send_status::full) {
                read.cursor = log.open_cursor(at); // this record again, later
                return read_progress::full;
            }
            ++counters.replayed;
            --read.remaining;
            --budget;
        }
        const auto status = send_line(
            *replay, peer,
            {proto::cmd_end, proto::format_decimal(read.cursor->position(), offset_digits)});
        if (status == send_status::full) {
            read.remaining = 0; // only the END is left to send
            return read_progress::full;
        }
        return status == send_status::gone ? read_progress::gone : read_progress::finished;
    }

    // Answers READs in turns of a bounded number of records, so one long read cannot
    // starve producers or other readers.
    void answer_reads() {
        std::size_t budget = 10000;
        while (!reads.empty() && budget > 0) {
            switch (continue_read(reads.front(), budget)) {
            case read_progress::finished:
            case read_progress::gone:
                reads.pop_front();
                break;
            case read_progress::full:
                next_retry = std::min(next_retry, steady::now() + std::chrono::milliseconds(5));
                return;
            case read_progress::out_of_budget: // take turns: this read goes to the back
                reads.push_back(std::move(reads.front()));
                reads.pop_front();
                break;
            }
        }
    }

    // --- control ------------------------------------------------------------------------
    control_reply_t answer(control_command command, std::string_view text) {
        // The steerable-proxy shape: frontend in/out, then backend in/out.
        return answer_control(command, text, paused, terminate,
                              {counters.published + counters.duplicates, counters.published_bytes,
                               counters.acks_sent, 0, counters.consumer_acks, 0, counters.delivered,
                               counters.delivered_bytes},
                              [this] { return stats_json(); });
    }

    std::string stats_json() const;
};

std::string journal_server_t::impl_t::stats_json() const {
    json_writer_t json;
    json.begin_object()
        .key("device")
        .value("zd-journal")
        .key("version")
        .value(ZD_VERSION)
        .key("pid")
        .value(std::int64_t(getpid()))
        .key("uptime_ms")
        .value(std::uint64_t(
            std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - started).count()))
        .key("state")
        .value(failed      ? "failed"
               : disk_full ? "disk_full"
               : paused    ? "paused"
                           : "running");
    json.key("log")
        .begin_object()
        .key("dir")
        .value(config.log.dir.string())
        .key("first_offset")
        .value(log.first_offset())
        .key("next_offset")
        .value(log.next_offset())
        .key("durable_next")
        .value(log.durable_next())
        .key("size_bytes")
        .value(log.size_bytes())
        .key("recovery")
        .value(log.recovery().summary())
        .end_object();
    const auto& c = counters;
    json.key("counters")
        .begin_object()
        .key("published")
        .value(c.published)
        .key("published_bytes")
        .value(c.published_bytes)
        .key("duplicates")
        .value(c.duplicates)
        .key("gaps")
        .value(c.gaps)
        .key("refused")
        .value(c.refused)
        .key("malformed")
        .value(c.malformed)
        .key("acks_sent")
        .value(c.acks_sent)
        .key("commits")
        .value(c.commits)
        .key("delivered")
        .value(c.delivered)
        .key("redelivered")
        .value(c.redelivered)
        .key("consumer_acks")
        .value(c.consumer_acks)
        .key("replayed")
        .value(c.replayed)
        .key("undeliverable")
        .value(c.undeliverable)
        .key("disk_full_events")
        .value(c.disk_full_events)
        .end_object();
    json.key("consumers").begin_array();
    for (const auto& [name, next] : offsets) {
        json.begin_object().key("name").value(name).key("acked_next").value(next);
        const auto live = consumers.find(name);
        json.key("connected").value(live != consumers.end());
        if (live != consumers.end())
            json.key("position")
                .value(live->second.cursor->position())
                .key("window")
                .value(std::uint64_t(live->second.window));
        json.end_object();
    }
    json.end_array();
    json.key("readers").value(std::uint64_t(reads.size()));
    json.end_object();
    return json.str();
}

journal_server_t::journal_server_t(zmq::context_t& context, const journal_endpoints_t& endpoints,
                                   const socket_options_t& options, const journal_config_t& config)
    : impl_(std::make_unique<impl_t>(context, config)) {
    auto& self = *impl_;
    options.apply_to(self.frontend);
    options.apply_to(self.backend);
    if (config.frontend == frontend_kind::router)
        self.frontend.set(zmq::sockopt::router_mandatory, 1);
    if (config.backend == backend_kind::router) self.backend.set(zmq::sockopt::router_mandatory, 1);
    endpoints_.frontend = attach(self.frontend, endpoints.frontend);
    endpoints_.backend = attach(self.backend, endpoints.backend);
    if (!endpoints.replay.empty()) {
        self.replay.emplace(context, zmq::socket_type::router);
        options.apply_to(*self.replay);
        self.replay->set(zmq::sockopt::router_mandatory, 1);
        endpoints_.replay = attach(*self.replay, endpoints.replay);
    }
    if (!endpoints.control.empty()) {
        self.control.emplace(context, endpoints.control, options);
        endpoints_.control = self.control->endpoints();
    }
    // A plain backend forwards what is committed from now on (at-most-once, not durable).
    if (config.backend != backend_kind::router)
        self.plain_cursor = self.log.open_cursor(self.log.durable_next());
}

journal_server_t::~journal_server_t() = default;

const recovery_report_t& journal_server_t::recovery() const {
    return impl_->log.recovery();
}
const journal_counters_t& journal_server_t::counters() const {
    return impl_->counters;
}

journal_server_t::exit_reason journal_server_t::run(stop_signal_t& stop) {
    auto& self = *impl_;
    exit_reason why = exit_reason::terminate;
    while (!self.terminate) {
        const bool read_producers = !self.paused && !self.disk_full && !self.failed;
        zmq_pollitem_t items[5] = {};
        int count = 0;
        const int frontend_index = count;
        items[count++] = {self.frontend.handle(), 0, short(read_producers ? ZMQ_POLLIN : 0), 0};
        const int backend_index = count;
        items[count++] = {self.backend.handle(), 0, ZMQ_POLLIN, 0};
        const int stop_index = count;
        items[count++] = {nullptr, stop.fd(), ZMQ_POLLIN, 0};
        int replay_index = -1, control_index = -1;
        if (self.replay) {
            replay_index = count;
            items[count++] = {self.replay->handle(), 0, ZMQ_POLLIN, 0};
        }
        if (self.control) {
            control_index = count;
            items[count++] = {self.control->socket().handle(), 0, ZMQ_POLLIN, 0};
        }
        auto now = steady::now();
        auto wake =
            std::min({self.next_retry, self.next_retention,
                      self.offsets_dirty ? self.next_offsets_write : steady::time_point::max()});
        long timeout = -1;
        if (!self.reads.empty())
            timeout = 0;
        else if (wake != steady::time_point::max())
            timeout = std::max<long>(
                0, long(std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count()) +
                       1);
        if (zmq_poll(items, count, timeout) < 0) {
            if (errno == EINTR) continue;
            throw zmq::error_t();
        }
        if (items[stop_index].revents && stop.received()) {
            why = exit_reason::signal;
            break;
        }
        if (control_index >= 0 && items[control_index].revents)
            self.control->serve_pending([&self](control_command command, std::string_view text) {
                return self.answer(command, text);
            });
        if (items[backend_index].revents) self.serve_backend();
        if (replay_index >= 0 && items[replay_index].revents) self.serve_replay_requests();

        now = steady::now();
        // Retries (full peers, disk full) happen below on every turn; the timer only wakes us.
        if (now >= self.next_retry) self.next_retry = steady::time_point::max();
        if (items[frontend_index].revents & ZMQ_POLLIN)
            self.ingest_batch(now + self.config.batch_delay);
        if (!self.commit_pending()) {
            why = exit_reason::io_failure;
            break;
        }
        self.deliver();
        self.answer_reads();
        now = steady::now();
        self.write_offsets_if_due(now, false);
        self.apply_retention_if_due(now);
    }
    self.write_offsets_if_due(steady::now(), true);
    return why;
}

} // namespace zd::journal
