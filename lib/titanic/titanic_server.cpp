// zd-titanic's poll loop: MDP worker connections in, group commit, answers, dispatch (see
// titanic_server.hpp for the picture and docs/TITANIC.md for the protocol).
#include "titanic/titanic_server.hpp"

#include "base/control.hpp"
#include "base/json_writer.hpp"
#include "base/log.hpp"
#include "base/stop_signal.hpp"
#include "mdp/codec.hpp"
#include "titanic/tsp.hpp"

#include <cstring>
#include <deque>
#include <map>
#include <unistd.h>
#include <unordered_map>
#include <zmq_addon.hpp>

namespace zd::titanic {

namespace {

using steady = std::chrono::steady_clock;
using message_list_t = std::vector<zmq::message_t>;

// 18/MDP (MDP/0.2) command bytes. Titanic is a 0.2 worker and a 0.2 client; the broker
// translates for 0.1 peers (a 0.1 client such as the zguide's ticlient gets our FINAL as its
// REPLY), and 0.2 lets a service stream PARTIALs, which Titanic stores with the FINAL.
constexpr char worker_ready = 0x01;
constexpr char worker_request = 0x02;
constexpr char worker_final = 0x04;
constexpr char worker_heartbeat = 0x05;
constexpr char worker_disconnect = 0x06;
constexpr char client_request = 0x01;

std::string_view view(const zmq::message_t& message) {
    return {static_cast<const char*>(message.data()), message.size()};
}

bool is_command(const zmq::message_t& message, char command) {
    return message.size() == 1 && *static_cast<const char*>(message.data()) == command;
}

// Takes one whole message off the socket if one is waiting.
bool receive(zmq::socket_t& socket, message_list_t& frames) {
    frames.clear();
    return zmq::recv_multipart(socket, std::back_inserter(frames), zmq::recv_flags::dontwait)
        .has_value();
}

// Sends frames as one message without blocking. False if the socket's queue is full (the
// peer then never sees this message; MDP peers retry).
template <typename Frames>
bool send_frames(zmq::socket_t& socket, const Frames& frames) {
    const std::size_t count = std::size(frames);
    std::size_t index = 0;
    for (const auto& frame : frames) {
        const auto flags = ++index < count ? zmq::send_flags::sndmore | zmq::send_flags::dontwait
                                           : zmq::send_flags::dontwait;
        const std::string_view data(frame);
        // Once the first frame is queued the rest always are (libzmq queues whole messages).
        if (!socket.send(zmq::const_buffer(data.data(), data.size()), flags)) return false;
    }
    return true;
}

std::uint64_t ms_since(steady::time_point start, steady::time_point now) {
    return std::uint64_t(
        std::chrono::duration_cast<std::chrono::milliseconds>(now - start).count());
}

} // namespace

struct titanic_server_t::impl_t {
    // One MDP worker connection to the broker, serving one titanic.* service.
    struct link_t {
        std::string service;
        std::unique_ptr<zmq::socket_t> socket; // null while waiting to reconnect
        std::uint64_t generation = 0;          // answers for an older socket are dropped
        steady::time_point heard, sent, reopen_at;
    };

    // One MDP client socket of the dispatcher: at most one request in flight.
    struct slot_t {
        std::unique_ptr<zmq::socket_t> socket;
        std::string uuid; // the request in flight; empty when free
        std::string service;
        std::vector<std::string> partials; // 0.2 PARTIAL frames so far, stored with the FINAL
        steady::time_point deadline;
    };

    // An answer that waits for the commit it depends on.
    struct answer_t {
        std::size_t link = 0;
        std::uint64_t generation = 0;
        zmq::message_t client;   // the broker's address of the client
        std::string_view status; // a tsp.hpp constant; empty = look up uuid's reply
        std::string uuid;        // sent after a 200 to titanic.request; looked up for reply
    };

    // A service whose request timed out: wait, then probe it with one request at a time.
    struct backoff_t {
        steady::time_point until;
        std::chrono::milliseconds delay{0};
        bool probing = false;
    };

    struct counters_t {
        std::uint64_t requests = 0; // titanic.request/reply/close messages received
        std::uint64_t stored = 0;   // requests stored (answered 200 + uuid)
        std::uint64_t replies_stored = 0;
        std::uint64_t closed = 0;     // close of a known UUID
        std::uint64_t dispatched = 0; // requests sent to their service (retries included)
        std::uint64_t retries = 0;    // dispatches after a timeout
        std::uint64_t timeouts = 0;
        std::uint64_t commits = 0;
        std::uint64_t answers = 0;           // answers sent to the broker
        std::uint64_t dropped_answers = 0;   // socket gone or full: the client retries
        std::uint64_t refused = 0;           // 500: max-pending reached
        std::uint64_t malformed = 0;         // 400: a bad titanic.* request
        std::uint64_t unknown = 0;           // 400: titanic.reply for an unknown/closed UUID
        std::uint64_t served = 0;            // 200 + reply body
        std::uint64_t pending_answers = 0;   // 300
        std::uint64_t stray_replies = 0;     // client-side messages that answer nothing
        std::uint64_t discarded_replies = 0; // replies for requests closed meanwhile
        std::uint64_t broker_malformed = 0;  // worker-side messages that are not MDP/0.2
        std::uint64_t broker_reconnects = 0;
        std::uint64_t segments_deleted = 0;
        std::uint64_t disk_full_events = 0;
    };

    zmq::context_t& context;
    titanic_config_t config;
    socket_options_t options;
    titanic_endpoints_t endpoints;
    store_t store;
    std::optional<control_server_t> control;
    std::vector<link_t> links;
    std::vector<slot_t> slots;
    std::deque<std::string> ready;                          // committed, waiting for a free slot
    std::multimap<steady::time_point, std::string> delayed; // retries waiting for their time
    std::unordered_map<std::string, backoff_t> backoffs;
    std::vector<answer_t> answers;       // waiting for this round's commit
    std::vector<std::string> stored_now; // UUIDs stored this round: dispatch after commit
    counters_t counters;
    const steady::time_point started = steady::now();
    steady::time_point next_retention = started;
    bool paused = false, terminate = false, disk_full = false, failed = false;
    message_list_t frames;                 // reused for every received message
    std::vector<std::string_view> views;   // reused frame views
    std::vector<std::string> reply_frames; // reused for titanic.reply

    impl_t(zmq::context_t& context_, const titanic_endpoints_t& endpoints_,
           const socket_options_t& options_, titanic_config_t config_)
        : context(context_), config(std::move(config_)), options(options_), endpoints(endpoints_),
          store(config.log) {}

    // --- broker connections -------------------------------------------------------------
    std::unique_ptr<zmq::socket_t> new_socket(zmq::socket_type type) {
        auto socket = std::make_unique<zmq::socket_t>(context, type);
        socket_options_t applied = options;
        applied.routing_id.reset(); // many sockets: never one identity for all
        applied.apply_to(*socket);
        attach(*socket, endpoints.broker);
        return socket;
    }

    void open_link(link_t& link, steady::time_point now) {
        link.socket = new_socket(zmq::socket_type::dealer);
        ++link.generation;
        const char ready_command[] = {worker_ready};
        const std::string_view ready_frames[] = {mdp::worker_header_v02,
                                                 std::string_view(ready_command, 1), link.service};
        send_frames(*link.socket, ready_frames);
        link.heard = link.sent = now;
    }

    void close_link(link_t& link, steady::time_point reopen_at) {
        if (link.socket) link.socket->set(zmq::sockopt::linger, 0);
        link.socket.reset();
        link.reopen_at = reopen_at;
    }

    void send_to_broker(link_t& link, std::string_view command) {
        const std::string_view frames_out[] = {mdp::worker_header_v02, command};
        send_frames(*link.socket, frames_out);
        link.sent = steady::now();
    }

    // --- titanic.* requests ---------------------------------------------------------------
    void read_link(std::size_t index, steady::time_point now) {
        link_t& link = links[index];
        for (std::size_t n = 0; n < config.batch_max && link.socket; ++n) {
            if (!receive(*link.socket, frames)) return;
            if (frames.size() < 2 || view(frames[0]) != mdp::worker_header_v02) {
                ++counters.broker_malformed;
                continue;
            }
            link.heard = now;
            if (is_command(frames[1], worker_heartbeat) && frames.size() == 2) continue;
            if (is_command(frames[1], worker_disconnect) && frames.size() == 2) {
                // The broker dropped us (it restarted, or thinks we broke the protocol).
                ++counters.broker_reconnects;
                close_link(link, now + config.reconnect_delay);
                return;
            }
            if (!is_command(frames[1], worker_request) || frames.size() < 5 ||
                frames[3].size() != 0) {
                ++counters.broker_malformed;
                continue;
            }
            ++counters.requests;
            views.clear();
            for (std::size_t i = 4; i < frames.size(); ++i)
                views.push_back(view(frames[i]));
            answer_t answer{index, link.generation, std::move(frames[2]), {}, {}};
            if (link.service == service_request)
                handle_request(answer);
            else if (link.service == service_reply)
                handle_reply(answer);
            else
                handle_close(answer);
            answers.push_back(std::move(answer));
        }
    }

    void handle_request(answer_t& answer) {
        if (const auto error = check_request(views.data(), views.size());
            error != request_error::none) {
            ++counters.malformed;
            zd::log::debug(std::string("titanic.request refused: ") + describe(error));
            answer.status = status_unknown;
            return;
        }
        if (store.pending_count() >= config.max_pending) {
            ++counters.refused;
            answer.status = status_error;
            return;
        }
        auto uuid = store.add_request(views);
        if (!uuid) { // larger than --max-record
            ++counters.malformed;
            answer.status = status_unknown;
            return;
        }
        ++counters.stored;
        answer.status = status_ok;
        answer.uuid = *uuid;
        stored_now.push_back(std::move(*uuid));
    }

    void handle_reply(answer_t& answer) {
        const auto uuid = views.size() == 1 ? normalize_uuid(views[0]) : std::nullopt;
        if (!uuid) {
            ++counters.malformed;
            answer.status = status_unknown;
            return;
        }
        answer.uuid = *uuid; // looked up after the commit: only committed replies are served
    }

    void handle_close(answer_t& answer) {
        const auto uuid = views.size() == 1 ? normalize_uuid(views[0]) : std::nullopt;
        if (!uuid) {
            ++counters.malformed;
            answer.status = status_unknown;
            return;
        }
        if (store.close(*uuid)) ++counters.closed;
        answer.status = status_ok; // idempotent: 200 for an unknown UUID too (9/TSP)
    }

    void send_answers() {
        for (answer_t& answer : answers) {
            link_t& link = links[answer.link];
            if (!link.socket || link.generation != answer.generation) {
                ++counters.dropped_answers; // that connection is gone; the broker requeued
                continue;
            }
            const char final_command[] = {worker_final};
            views.clear();
            views.push_back(mdp::worker_header_v02);
            views.push_back(std::string_view(final_command, 1));
            views.push_back(view(answer.client));
            views.push_back({});
            if (answer.status.empty()) { // titanic.reply
                switch (store.read_reply(answer.uuid, reply_frames)) {
                case reply_status::replied:
                    ++counters.served;
                    views.push_back(status_ok);
                    for (const auto& frame : reply_frames)
                        views.push_back(frame);
                    break;
                case reply_status::pending:
                    ++counters.pending_answers;
                    views.push_back(status_pending);
                    break;
                case reply_status::unknown:
                    ++counters.unknown;
                    views.push_back(status_unknown);
                    break;
                }
            } else {
                views.push_back(answer.status);
                if (!answer.uuid.empty()) views.push_back(answer.uuid);
            }
            if (send_frames(*link.socket, views)) {
                ++counters.answers;
                link.sent = steady::now();
            } else {
                ++counters.dropped_answers;
            }
        }
        answers.clear();
    }

    // Appended records become durable here; answers and dispatch wait for it. Returns false
    // after a write or fsync failure.
    bool commit() {
        if (store.uncommitted() > 0) {
            const auto result = store.commit();
            if (result.status == journal::io_status::failed) {
                failed = true;
                zd::log::error("commit failed: " + std::string(std::strerror(result.error)) +
                               "; nothing more is acknowledged");
                return false;
            }
            if (result.status == journal::io_status::disk_full) {
                if (!disk_full) {
                    ++counters.disk_full_events;
                    zd::log::error("disk full: not answering until space is freed");
                }
                disk_full = true;
                return true;
            }
            if (disk_full) zd::log::info("disk space back: answering again");
            disk_full = false;
            ++counters.commits;
        }
        send_answers();
        for (auto& uuid : stored_now)
            ready.push_back(std::move(uuid));
        stored_now.clear();
        return true;
    }

    // --- dispatcher -------------------------------------------------------------------------
    void open_slot(slot_t& slot) {
        if (slot.socket) slot.socket->set(zmq::sockopt::linger, 0);
        slot.socket = new_socket(zmq::socket_type::dealer);
        slot.uuid.clear();
        slot.partials.clear();
    }

    void read_slot(slot_t& slot, steady::time_point now) {
        while (receive(*slot.socket, frames)) {
            // MDPC02 0x02|0x03 service body+
            if (slot.uuid.empty() || frames.size() < 4 ||
                view(frames[0]) != mdp::client_header_v02 || view(frames[2]) != slot.service ||
                !(is_command(frames[1], char(mdp::client_partial_byte)) ||
                  is_command(frames[1], char(mdp::client_final_byte)))) {
                ++counters.stray_replies;
                continue;
            }
            for (std::size_t i = 3; i < frames.size(); ++i)
                slot.partials.emplace_back(view(frames[i]));
            if (is_command(frames[1], char(mdp::client_partial_byte))) continue;
            views.assign(slot.partials.begin(), slot.partials.end());
            if (store.add_reply(slot.uuid, views))
                ++counters.replies_stored;
            else
                ++counters.discarded_replies; // closed while in flight
            backoffs.erase(slot.service);
            slot.uuid.clear();
            slot.partials.clear();
            (void)now;
        }
    }

    void dispatch(steady::time_point now) {
        if (paused || disk_full) return;
        for (slot_t& slot : slots) {
            if (!slot.uuid.empty()) continue;
            while (!ready.empty()) {
                std::string uuid = std::move(ready.front());
                ready.pop_front();
                const auto* request = store.pending_request(uuid);
                if (!request) continue; // closed before its turn
                const std::string& service = (*request)[0];
                if (const auto found = backoffs.find(service); found != backoffs.end()) {
                    backoff_t& backoff = found->second;
                    if (backoff.probing || now < backoff.until) {
                        delayed.emplace(std::max(backoff.until, now + config.retry_delay),
                                        std::move(uuid));
                        continue;
                    }
                    backoff.probing = true; // this request finds out whether it is back
                }
                const char request_command[] = {client_request};
                views.clear();
                views.push_back(mdp::client_header_v02);
                views.push_back(std::string_view(request_command, 1));
                for (const auto& frame : *request)
                    views.push_back(frame);
                if (!send_frames(*slot.socket, views)) { // cannot happen with one in flight
                    ready.push_front(std::move(uuid));
                    return;
                }
                ++counters.dispatched;
                slot.service = service;
                slot.uuid = std::move(uuid);
                slot.deadline = now + config.dispatch_timeout;
                break;
            }
            if (ready.empty()) return;
        }
    }

    // --- timers ---------------------------------------------------------------------------
    void run_timers(steady::time_point now) {
        for (link_t& link : links) {
            if (!link.socket) {
                if (now >= link.reopen_at) open_link(link, now);
                continue;
            }
            // While the disk is full we stop reading, so the broker's heartbeats go unread:
            // that silence is ours, not the broker's.
            if (!disk_full &&
                now - link.heard >= config.heartbeat_interval * config.heartbeat_liveness) {
                ++counters.broker_reconnects;
                zd::log::debug("broker silent: reconnecting " + link.service);
                close_link(link, now);
                open_link(link, now);
                continue;
            }
            if (now - link.sent >= config.heartbeat_interval) {
                const char heartbeat[] = {worker_heartbeat};
                send_to_broker(link, std::string_view(heartbeat, 1));
            }
        }
        for (slot_t& slot : slots) {
            if (slot.uuid.empty() || now < slot.deadline) continue;
            // A new socket: the late reply, if any, goes to the closed one and is lost.
            ++counters.timeouts;
            ++counters.retries;
            backoff_t& backoff = backoffs[slot.service];
            backoff.delay = backoff.delay.count() == 0
                                ? config.retry_delay
                                : std::min(backoff.delay * 2, config.max_retry_delay);
            backoff.until = now + backoff.delay;
            backoff.probing = false;
            delayed.emplace(backoff.until, std::move(slot.uuid));
            open_slot(slot);
        }
        while (!delayed.empty() && delayed.begin()->first <= now) {
            ready.push_back(std::move(delayed.begin()->second));
            delayed.erase(delayed.begin());
        }
        if (now >= next_retention) {
            next_retention = now + std::chrono::seconds(1);
            counters.segments_deleted += store.apply_retention(std::chrono::system_clock::now());
        }
    }

    // --- control --------------------------------------------------------------------------
    control_reply_t answer_control(control_command command, std::string_view text) {
        // The steerable-proxy shape: "frontend" = the titanic.* services, "backend" = the
        // dispatcher.
        return zd::answer_control(command, text, paused, terminate,
                                  {counters.requests, 0, counters.answers, 0,
                                   counters.replies_stored, 0, counters.dispatched, 0},
                                  [this] { return stats_json(); });
    }

    std::string stats_json() const {
        std::size_t in_flight = 0;
        for (const auto& slot : slots)
            in_flight += slot.uuid.empty() ? 0 : 1;
        const auto& log = store.log();
        json_writer_t json;
        json.begin_object()
            .key("device")
            .value("zd-titanic")
            .key("version")
            .value(ZD_VERSION)
            .key("pid")
            .value(std::int64_t(getpid()))
            .key("uptime_ms")
            .value(ms_since(started, steady::now()))
            .key("state")
            .value(failed      ? "failed"
                   : disk_full ? "disk_full"
                   : paused    ? "paused"
                               : "running")
            .key("broker")
            .value(to_string(endpoints.broker));
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
            .key("keep_from")
            .value(store.keep_from())
            .key("size_bytes")
            .value(log.size_bytes())
            .key("live_bytes")
            .value(store.live_bytes())
            .key("copied_forward")
            .value(store.copied_forward())
            .end_object();
        const auto& c = counters;
        json.key("titanic")
            .begin_object()
            .key("pending")
            .value(std::uint64_t(store.pending_count()))
            .key("replied")
            .value(std::uint64_t(store.replied_count()))
            .key("ready")
            .value(std::uint64_t(ready.size()))
            .key("delayed")
            .value(std::uint64_t(delayed.size()))
            .key("in_flight")
            .value(std::uint64_t(in_flight))
            .key("requests")
            .value(c.requests)
            .key("stored")
            .value(c.stored)
            .key("replies_stored")
            .value(c.replies_stored)
            .key("closed")
            .value(c.closed)
            .key("dispatched")
            .value(c.dispatched)
            .key("retries")
            .value(c.retries)
            .key("timeouts")
            .value(c.timeouts)
            .key("commits")
            .value(c.commits)
            .key("answers")
            .value(c.answers)
            .key("dropped_answers")
            .value(c.dropped_answers)
            .key("served")
            .value(c.served)
            .key("pending_answers")
            .value(c.pending_answers)
            .key("unknown")
            .value(c.unknown)
            .key("refused")
            .value(c.refused)
            .key("malformed")
            .value(c.malformed)
            .key("stray_replies")
            .value(c.stray_replies)
            .key("discarded_replies")
            .value(c.discarded_replies)
            .key("oversized_replies")
            .value(store.oversized_replies())
            .key("broker_malformed")
            .value(c.broker_malformed)
            .key("broker_reconnects")
            .value(c.broker_reconnects)
            .key("segments_deleted")
            .value(c.segments_deleted)
            .key("disk_full_events")
            .value(c.disk_full_events)
            .end_object();
        json.end_object();
        return json.str();
    }
};

titanic_server_t::titanic_server_t(zmq::context_t& context, const titanic_endpoints_t& endpoints,
                                   const socket_options_t& options, titanic_config_t config)
    : impl_(std::make_unique<impl_t>(context, endpoints, options, std::move(config))) {
    auto& self = *impl_;
    if (self.config.request_workers < 1 || self.config.dispatch_workers < 1)
        throw std::invalid_argument("request and dispatch workers must be at least 1");
    if (!endpoints.control.empty()) {
        self.control.emplace(context, endpoints.control, options);
        self.endpoints.control = self.control->endpoints();
    }
    const auto now = steady::now();
    const std::pair<std::string_view, int> services[] = {
        {service_request, self.config.request_workers}, {service_reply, 1}, {service_close, 1}};
    for (const auto& [service, count] : services)
        for (int i = 0; i < count; ++i) {
            self.links.push_back({std::string(service), nullptr, 0, now, now, now});
            self.open_link(self.links.back(), now);
        }
    self.slots.resize(std::size_t(self.config.dispatch_workers));
    for (auto& slot : self.slots)
        self.open_slot(slot);
    for (auto& uuid : self.store.pending_uuids())
        self.ready.push_back(std::move(uuid));
}

titanic_server_t::~titanic_server_t() = default;

const titanic_endpoints_t& titanic_server_t::endpoints() const {
    return impl_->endpoints;
}

std::string titanic_server_t::recovery_summary() const {
    return impl_->store.log_recovery().summary() + "; " + impl_->store.recovery().summary();
}

titanic_server_t::exit_reason titanic_server_t::run(stop_signal_t& stop) {
    auto& self = *impl_;
    std::vector<zmq::pollitem_t> items;
    const auto tick = std::min<std::chrono::milliseconds>(self.config.heartbeat_interval / 4,
                                                          std::chrono::milliseconds(100));
    exit_reason reason = exit_reason::signal;
    while (true) {
        items.clear();
        items.push_back({nullptr, stop.fd(), ZMQ_POLLIN, 0});
        if (self.control) items.push_back({self.control->socket().handle(), 0, ZMQ_POLLIN, 0});
        const std::size_t first_link = items.size();
        // While the disk is full nothing is read: no request can be stored, no reply either;
        // libzmq's queues (and then the broker's) hold them.
        const bool reading = !self.disk_full;
        for (auto& link : self.links)
            items.push_back({link.socket && reading ? link.socket->handle() : nullptr, -1,
                             short(reading && link.socket ? ZMQ_POLLIN : 0), 0});
        const std::size_t first_slot = items.size();
        for (auto& slot : self.slots)
            items.push_back({reading ? slot.socket->handle() : nullptr, -1,
                             short(reading ? ZMQ_POLLIN : 0), 0});
        zmq::poll(items.data(), items.size(), tick);

        if (items[0].revents != 0 && stop.received()) break;
        if (self.control && items[1].revents != 0)
            self.control->serve_pending([&self](control_command command, std::string_view text) {
                return self.answer_control(command, text);
            });
        if (self.terminate) {
            reason = exit_reason::terminate;
            break;
        }
        const auto now = steady::now();
        for (std::size_t i = 0; i < self.links.size(); ++i)
            if (items[first_link + i].revents != 0) self.read_link(i, now);
        for (std::size_t i = 0; i < self.slots.size(); ++i)
            if (items[first_slot + i].revents != 0) self.read_slot(self.slots[i], now);
        if (!self.commit()) {
            reason = exit_reason::io_failure;
            break;
        }
        self.dispatch(now);
        self.run_timers(now);
        self.dispatch(now);
    }
    // Tell the broker we are gone, so it sends our services' requests elsewhere at once.
    if (reason != exit_reason::io_failure)
        for (auto& link : self.links)
            if (link.socket) {
                const char disconnect[] = {worker_disconnect};
                self.send_to_broker(link, std::string_view(disconnect, 1));
            }
    return reason;
}

} // namespace zd::titanic
