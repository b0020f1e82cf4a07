// zd-titanic's server: the titanic.* requests that come in on the broker links, the group
// commit, the answers, and the one poll loop (lib/base/poll_loop) they all run on (see
// titanic_server.hpp for the picture and docs/TITANIC.md for the protocol). The links are in
// broker_links.cpp, the dispatcher in dispatcher.cpp.
#include "titanic/titanic_server.hpp"
#include "base/rate_limited_log.hpp"

#include "base/control.hpp"
#include "base/events.hpp"
#include "base/json_writer.hpp"
#include "base/log.hpp"
#include "base/poll_loop.hpp"
#include "titanic/broker_links.hpp"
#include "titanic/dispatcher.hpp"
#include "titanic/tsp.hpp"

#include <cstring>
#include <span>

namespace zd::titanic {

namespace {

using steady = std::chrono::steady_clock;

std::uint64_t ms_since(steady::time_point start, steady::time_point now) {
    return std::uint64_t(
        std::chrono::duration_cast<std::chrono::milliseconds>(now - start).count());
}

std::vector<std::string> link_services(int request_workers) {
    std::vector<std::string> services(std::size_t(request_workers), std::string{service_request});
    services.emplace_back(service_reply);
    services.emplace_back(service_close);
    return services;
}

} // namespace

struct titanic_server_t::impl_t {
    // An answer that waits for the commit it depends on.
    struct answer_t {
        link_address_t to;
        std::string client;      // the broker's address of the client
        std::string_view status; // a tsp.hpp constant; empty = look up uuid's reply
        std::string uuid;        // sent after a 200 to titanic.request; looked up for reply
    };

    struct counters_t {
        std::uint64_t requests = 0; // titanic.request/reply/close messages received
        std::uint64_t stored = 0;   // requests stored (answered 200 + uuid)
        std::uint64_t closed = 0;   // close of a known UUID
        std::uint64_t commits = 0;
        std::uint64_t answers = 0;         // answers sent to the broker
        std::uint64_t dropped_answers = 0; // connection gone or full: the client retries
        std::uint64_t refused = 0;         // 500: max-pending reached
        std::uint64_t malformed = 0;       // 400: a bad titanic.* request
        std::uint64_t unknown = 0;         // 400: titanic.reply for an unknown/closed UUID
        std::uint64_t served = 0;          // 200 + reply body
        std::uint64_t pending_answers = 0; // 300
        std::uint64_t segments_deleted = 0;
        std::uint64_t disk_full_events = 0;
    };

    titanic_config_t config;
    titanic_endpoints_t endpoints;
    store_t store;
    std::optional<control_server_t> control;
    broker_sockets_t sockets;
    dispatcher_t dispatcher;
    broker_links_t links;
    std::vector<answer_t> answers;       // waiting for this round's commit
    std::vector<std::string> stored_now; // UUIDs stored this round: dispatch after commit
    counters_t counters;
    zd::rate_limited_log_t malformed_log{"titanic.request refused (400)"};
    const steady::time_point started = steady::now();
    steady::time_point next_retention = started;
    bool disk_full = false, failed = false;
    poll_loop_t* loop = nullptr;           // while run() runs
    std::vector<std::string_view> views;   // reused answer frames
    std::vector<std::string> reply_frames; // reused for titanic.reply

    impl_t(zmq::context_t& context, const titanic_endpoints_t& endpoints_,
           const socket_options_t& options, const socket_options_t& control_options,
           titanic_config_t config_)
        : config(check(std::move(config_))), endpoints(endpoints_), store(config.log),
          sockets(context, options, endpoints.broker),
          dispatcher(sockets, store,
                     {config.dispatch_workers, config.dispatch_timeout, config.retry_delay,
                      config.max_retry_delay, config.max_frames}),
          links(sockets, link_services(config.request_workers),
                {config.heartbeat_interval, config.heartbeat_liveness, config.reconnect_delay,
                 config.batch_max, config.max_frames},
                [this](std::string_view service, link_address_t from, std::string_view client,
                       const std::string_view* body,
                       std::size_t count) { on_request(service, from, client, body, count); }) {
        // Always: --metrics asks STATS through it even when --control binds nothing.
        control.emplace(context, endpoints.control, control_options);
        endpoints.control = control->endpoints();
        for (auto& uuid : store.pending_uuids())
            dispatcher.queue(std::move(uuid));
    }

    static titanic_config_t check(titanic_config_t config) {
        if (config.request_workers < 1 || config.dispatch_workers < 1)
            throw std::invalid_argument("request and dispatch workers must be at least 1");
        return config;
    }

    // --- titanic.* requests ---------------------------------------------------------------
    void on_request(std::string_view service, link_address_t from, std::string_view client,
                    const std::string_view* body, std::size_t count) {
        ++counters.requests;
        answer_t answer{from, std::string(client), {}, {}};
        if (service == service_request)
            handle_request(answer, body, count);
        else if (service == service_reply)
            handle_reply(answer, body, count);
        else
            handle_close(answer, body, count);
        answers.push_back(std::move(answer));
    }

    void handle_request(answer_t& answer, const std::string_view* body, std::size_t count) {
        if (const auto error = check_request(body, count); error != request_error::none) {
            ++counters.malformed;
            malformed_log.report(describe(error)); // counted above (STATS malformed)
            answer.status = status_unknown;
            return;
        }
        if (store.pending_count() >= config.max_pending) {
            ++counters.refused;
            answer.status = status_error;
            return;
        }
        auto uuid = store.add_request(std::span<const std::string_view>(body, count));
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

    // A UUID alone, or nothing (400).
    std::optional<std::string> uuid_of(answer_t& answer, const std::string_view* body,
                                       std::size_t count) {
        auto uuid = count == 1 ? normalize_uuid(body[0]) : std::nullopt;
        if (!uuid) {
            ++counters.malformed;
            answer.status = status_unknown;
        }
        return uuid;
    }

    void handle_reply(answer_t& answer, const std::string_view* body, std::size_t count) {
        // Looked up after the commit: only committed replies are served.
        if (auto uuid = uuid_of(answer, body, count)) answer.uuid = std::move(*uuid);
    }

    void handle_close(answer_t& answer, const std::string_view* body, std::size_t count) {
        const auto uuid = uuid_of(answer, body, count);
        if (!uuid) return;
        if (store.close(*uuid)) ++counters.closed;
        answer.status = status_ok; // idempotent: 200 for an unknown UUID too (9/TSP)
    }

    // The frames of an answer after "FINAL client ''": the status, then a UUID or a reply.
    void answer_frames(const answer_t& answer) {
        views.clear();
        if (!answer.status.empty()) {
            views.push_back(answer.status);
            if (!answer.uuid.empty()) views.push_back(answer.uuid);
            return;
        }
        switch (store.read_reply(answer.uuid, reply_frames)) { // titanic.reply
        case reply_status::replied:
            ++counters.served;
            views.push_back(status_ok);
            views.insert(views.end(), reply_frames.begin(), reply_frames.end());
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
    }

    void send_answers(steady::time_point now) {
        for (const answer_t& answer : answers) {
            answer_frames(answer);
            if (links.answer(answer.to, answer.client, views.data(), views.size(), now))
                ++counters.answers;
            else
                ++counters.dropped_answers; // that connection is gone (the broker requeued)
        }                                   // or full
        answers.clear();
    }

    // Appended records become durable here; answers and dispatch wait for it. Returns false
    // after a write or fsync failure.
    bool commit(steady::time_point now) {
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
        send_answers(now);
        for (auto& uuid : stored_now)
            dispatcher.queue(std::move(uuid));
        stored_now.clear();
        return true;
    }

    // --- the loop's turn --------------------------------------------------------------------
    // Commit, answer, dispatch, timers. Returns false after an io failure.
    bool after_turn() {
        const auto now = steady::now();
        if (!commit(now)) return false;
        // While the disk is full nothing is read: no request can be stored, no reply either;
        // libzmq's queues (and then the broker's) hold them.
        links.set_reading(!disk_full, now);
        dispatcher.set_reading(!disk_full);
        const bool dispatching = !loop->paused() && !disk_full;
        if (dispatching) dispatcher.dispatch(now);
        links.on_timer(now);
        notice_broker();
        dispatcher.on_timer(now);
        if (now >= next_retention) {
            next_retention = now + std::chrono::seconds(1);
            counters.segments_deleted += store.apply_retention(std::chrono::system_clock::now());
        }
        if (dispatching) dispatcher.dispatch(now);
        return true;
    }

    // Titanic's one peer is the broker: "connected" once it speaks on any link, "disconnected"
    // when it has fallen silent on all of them (each link reconnects on its own).
    bool broker_live = false;
    void notice_broker() {
        const bool live = links.live_links() > 0;
        if (live == broker_live) return;
        broker_live = live;
        events::emit(live ? "connected" : "disconnected", [this](json_writer_t& json) {
            json.key("side").value("broker");
            json.key("endpoint").value(to_string(endpoints.broker));
        });
    }

    // --- control --------------------------------------------------------------------------
    // The steerable-proxy shape: "frontend" = the titanic.* services, "backend" = the
    // dispatcher.
    statistics_t statistics() const {
        return {.frontend_messages_in = counters.requests,
                .frontend_messages_out = counters.answers,
                .backend_messages_in = dispatcher.counters().replies_stored,
                .backend_messages_out = dispatcher.counters().dispatched};
    }

    std::string stats_json() const;
};

std::string titanic_server_t::impl_t::stats_json() const {
    const auto& log = store.log();
    json_writer_t json;
    json.begin_object();
    write_stats_header(json, "zd-titanic", ms_since(started, steady::now()),
                       failed                   ? "failed"
                       : disk_full              ? "disk_full"
                       : loop && loop->paused() ? "paused"
                                                : "running");
    json.key("broker").value(to_string(endpoints.broker));
    json.key("log").begin_object();
    json.key("dir").value(config.log.dir.string());
    json.key("first_offset").value(log.first_offset());
    json.key("next_offset").value(log.next_offset());
    json.key("durable_next").value(log.durable_next());
    json.key("keep_from").value(store.keep_from());
    json.key("size_bytes").value(log.size_bytes());
    json.key("live_bytes").value(store.live_bytes());
    json.key("copied_forward").value(store.copied_forward());
    json.end_object();
    const auto& c = counters;
    const auto& d = dispatcher.counters();
    json.key("titanic").begin_object();
    json.key("pending").value(std::uint64_t(store.pending_count()));
    json.key("replied").value(std::uint64_t(store.replied_count()));
    json.key("ready").value(std::uint64_t(dispatcher.ready()));
    json.key("delayed").value(std::uint64_t(dispatcher.delayed()));
    json.key("in_flight").value(std::uint64_t(dispatcher.in_flight()));
    json.key("requests").value(c.requests);
    json.key("stored").value(c.stored);
    json.key("replies_stored").value(d.replies_stored);
    json.key("closed").value(c.closed);
    json.key("dispatched").value(d.dispatched);
    json.key("retries").value(d.retries);
    json.key("timeouts").value(d.timeouts);
    json.key("commits").value(c.commits);
    json.key("answers").value(c.answers);
    json.key("dropped_answers").value(c.dropped_answers);
    json.key("served").value(c.served);
    json.key("pending_answers").value(c.pending_answers);
    json.key("unknown").value(c.unknown);
    json.key("refused").value(c.refused);
    json.key("malformed").value(c.malformed);
    json.key("stray_replies").value(d.stray_replies);
    json.key("discarded_replies").value(d.discarded_replies);
    json.key("oversized_replies").value(store.oversized_replies());
    json.key("broker_malformed").value(links.malformed());
    json.key("broker_reconnects").value(links.reconnects());
    json.key("broker_links").value(std::uint64_t(links.links()));
    json.key("broker_links_live").value(std::uint64_t(links.live_links()));
    json.key("segments_deleted").value(c.segments_deleted);
    json.key("disk_full_events").value(c.disk_full_events);
    json.end_object();
    json.end_object();
    return json.str();
}

titanic_server_t::titanic_server_t(zmq::context_t& context, const titanic_endpoints_t& endpoints,
                                   const socket_options_t& broker_options,
                                   const socket_options_t& control_options, titanic_config_t config)
    : impl_(std::make_unique<impl_t>(context, endpoints, broker_options, control_options,
                                     std::move(config))) {}

titanic_server_t::~titanic_server_t() = default;

const titanic_endpoints_t& titanic_server_t::endpoints() const {
    return impl_->endpoints;
}

zmq::socket_t& titanic_server_t::control_socket() {
    return impl_->control->socket();
}

std::string titanic_server_t::recovery_summary() const {
    return impl_->store.log_recovery().summary() + "; " + impl_->store.recovery().summary();
}

titanic_server_t::exit_reason titanic_server_t::run(stop_signal_t& stop) {
    auto& self = *impl_;
    poll_loop_t loop(
        stop, self.control ? &*self.control : nullptr,
        {[&self] { return self.statistics(); }, [&self] { return self.stats_json(); }});
    self.loop = &loop;
    self.links.watch(loop);
    self.dispatcher.watch(loop);
    // Heartbeats, timeouts, retention: checked every tick.
    const auto tick = std::min<std::chrono::milliseconds>(self.config.heartbeat_interval / 4,
                                                          std::chrono::milliseconds(100));
    loop.set_deadline([tick] { return steady::now() + tick; });
    bool io_failure = false;
    loop.set_after_turn([&] {
        if (!self.after_turn()) {
            io_failure = true;
            loop.stop();
        }
    });
    const loop_exit exit = loop.run();
    self.loop = nullptr;
    if (io_failure) return exit_reason::io_failure;
    // Tell the broker we are gone, so it sends our services' requests elsewhere at once.
    self.links.stop(steady::now());
    return exit == loop_exit::signal ? exit_reason::signal : exit_reason::terminate;
}

} // namespace zd::titanic
