#include "journal/server/journal_server.hpp"

#include "base/events.hpp"
#include "base/json_writer.hpp"
#include "base/log.hpp"
#include "base/peer_table.hpp"
#include "base/poll_loop.hpp"
#include "base/socket_peer_monitor.hpp"
#include "journal/server/consumers.hpp"
#include "journal/server/producers.hpp"
#include "journal/server/replay.hpp"
#include "journal/server/retry.hpp"
#include "journal/server/sender.hpp"

#include <algorithm>

namespace zd::journal {

using server::steady;

namespace {
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

// The sockets, the log and the three roles over them; the loop that runs them.
struct journal_server_t::impl_t {
    impl_t(zmq::context_t& context, const journal_config_t& config)
        : config(config), log(config.log), frontend(context, frontend_type(config.frontend)),
          backend(context, backend_type(config.backend)), sender(counters),
          producers(frontend, log, this->config, counters, sender, retry),
          consumers(backend, log, this->config, counters, sender, retry) {}

    journal_config_t config;
    log_t log;
    zmq::socket_t frontend;
    zmq::socket_t backend;
    std::optional<zmq::socket_t> replay_socket;
    std::optional<control_server_t> control;
    // Who is connected, for STATS and --events: producers, consumers, readers. The monitor
    // is declared after the sockets it watches, so it stops watching before they close.
    peer_table_t peers{{"frontend", "backend", "replay"}};
    std::optional<socket_peer_monitor_t> peer_monitor;
    journal_counters_t counters;
    server::sender_t sender;
    server::retry_t retry; // full peers, full disk
    server::producers_t producers;
    server::consumers_t consumers;
    std::optional<server::replay_t> replay;
    steady::time_point next_retention = steady::now();
    poll_loop_t* loop = nullptr; // while run() runs: its pause state and uptime

    void after_turn(poll_loop_t& loop, poll_loop_t::watch_id frontend_watch);
    steady::time_point next_wake() const;
    void apply_retention_if_due(steady::time_point now);
    statistics_t statistics() const;
    std::string stats_json() const;
    std::string_view state() const;
};

// Commit what the handlers appended, answer the producers, then deliver and replay: in this
// order, so consumers and readers see the records the turn committed.
void journal_server_t::impl_t::after_turn(poll_loop_t& loop, poll_loop_t::watch_id frontend_watch) {
    auto now = steady::now();
    retry.clear_if_due(now); // everything below is tried again on every turn anyway
    if (!producers.commit_if_due(now)) {
        loop.stop(); // nothing more may be acknowledged: the device exits non-zero
        return;
    }
    // While the disk is full the producers wait at their high-water mark.
    loop.set_events(frontend_watch, producers.disk_full() ? 0 : ZMQ_POLLIN);
    consumers.deliver();
    if (replay) replay->answer();
    now = steady::now();
    consumers.write_offsets_if_due(now, false);
    apply_retention_if_due(now);
}

steady::time_point journal_server_t::impl_t::next_wake() const {
    if (replay && replay->busy()) return steady::now(); // pages to send: do not wait
    return std::min({retry.at(), next_retention, consumers.offsets_due(), producers.commit_due()});
}

void journal_server_t::impl_t::apply_retention_if_due(steady::time_point now) {
    if (now < next_retention) return;
    next_retention = now + config.retention_interval;
    std::uint64_t keep_from = consumers.keep_from(log.durable_next());
    if (replay) keep_from = replay->keep_from(keep_from);
    if (const std::size_t deleted =
            log.apply_retention(keep_from, std::chrono::system_clock::now()))
        log::debug("retention deleted " + std::to_string(deleted) + " segment(s)");
}

statistics_t journal_server_t::impl_t::statistics() const {
    // The steerable-proxy shape: producers on the frontend, consumers on the backend.
    return {.frontend_messages_in = counters.published + counters.duplicates,
            .frontend_bytes_in = counters.published_bytes,
            .frontend_messages_out = counters.acks_sent,
            .backend_messages_in = counters.consumer_acks,
            .backend_messages_out = counters.delivered,
            .backend_bytes_out = counters.delivered_bytes};
}

std::string_view journal_server_t::impl_t::state() const {
    if (producers.failed()) return "failed";
    if (producers.disk_full()) return "disk_full";
    return loop && loop->paused() ? "paused" : "running";
}

std::string journal_server_t::impl_t::stats_json() const {
    json_writer_t json;
    json.begin_object();
    write_stats_header(json, "zd-journal", loop ? loop->uptime_ms() : 0, state());
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
    json.key("consumers");
    consumers.write_stats(json);
    if (const auto plain = consumers.plain_position())
        json.key("plain_backend")
            .begin_object()
            .key("next")
            .value(plain->next)
            .key("stored")
            .value(plain->stored)
            .end_object();
    json.key("readers").value(std::uint64_t(replay ? replay->readers() : 0));
    json.key("identities"); // messages per authenticated producer (docs/SECURITY.md)
    producers.identities().write_json(json);
    peers.write_json(json);
    json.end_object();
    return json.str();
}

journal_server_t::journal_server_t(zmq::context_t& context, const journal_endpoints_t& endpoints,
                                   const journal_socket_options_t& options,
                                   const journal_config_t& config)
    : impl_(std::make_unique<impl_t>(context, config)) {
    auto& self = *impl_;
    options.frontend.apply_to(self.frontend);
    options.backend.apply_to(self.backend);
    if (config.frontend == frontend_kind::router)
        self.frontend.set(zmq::sockopt::router_mandatory, 1);
    if (config.backend == backend_kind::router) self.backend.set(zmq::sockopt::router_mandatory, 1);
    if (!endpoints.replay.empty()) {
        self.replay_socket.emplace(context, zmq::socket_type::router);
        options.replay.apply_to(*self.replay_socket);
        self.replay_socket->set(zmq::sockopt::router_mandatory, 1);
    }
    watch_peers(context);
    endpoints_.frontend = attach(self.frontend, endpoints.frontend, options.frontend);
    endpoints_.backend = attach(self.backend, endpoints.backend, options.backend);
    if (self.replay_socket) {
        endpoints_.replay = attach(*self.replay_socket, endpoints.replay, options.replay);
        self.replay.emplace(*self.replay_socket, self.log, self.counters, self.sender, self.retry);
    }
    // Always: --metrics asks STATS through it even when --control binds nothing.
    {
        self.control.emplace(context, endpoints.control, options.control);
        endpoints_.control = self.control->endpoints();
    }
}

journal_server_t::~journal_server_t() = default;

// Before the sockets attach, so that no connection is missed.
void journal_server_t::watch_peers(zmq::context_t& context) {
    auto& self = *impl_;
    self.peer_monitor.emplace(context, [&self](const peer_event_t& event) {
        self.peers.record(event);
        events::emit_peer(event, self.peers.side_name(event.side));
    });
    self.peer_monitor->watch(self.frontend, self.peers.side("frontend"));
    self.peer_monitor->watch(self.backend, self.peers.side("backend"));
    if (self.replay_socket)
        self.peer_monitor->watch(*self.replay_socket, self.peers.side("replay"));
    self.peer_monitor->start();
}

zmq::socket_t& journal_server_t::control_socket() {
    return impl_->control->socket();
}

const recovery_report_t& journal_server_t::recovery() const {
    return impl_->log.recovery();
}
const journal_counters_t& journal_server_t::counters() const {
    return impl_->counters;
}

journal_server_t::exit_reason journal_server_t::run(stop_signal_t& stop) {
    auto& self = *impl_;
    poll_loop_t loop(
        stop, self.control ? &*self.control : nullptr,
        {[&self] { return self.statistics(); }, [&self] { return self.stats_json(); }});
    self.loop = &loop;
    // Consumers and readers first, producers last: a turn's ingest is committed right after
    // it, in the after-turn step. PUSH and PUB backends never receive.
    if (self.config.backend == backend_kind::router)
        loop.add(self.backend, ZMQ_POLLIN, [&self] { self.consumers.serve(); });
    if (self.replay) loop.add(*self.replay_socket, ZMQ_POLLIN, [&self] { self.replay->serve(); });
    const auto frontend_watch = loop.add(
        self.frontend, ZMQ_POLLIN, [&self] { self.producers.ingest(); },
        poll_loop_t::on_pause::stop);
    loop.set_deadline([&self] { return self.next_wake(); });
    loop.set_after_turn([&self, &loop, frontend_watch] { self.after_turn(loop, frontend_watch); });
    const loop_exit ended = loop.run();
    self.loop = nullptr;
    self.consumers.write_offsets_if_due(steady::now(), true);
    if (self.producers.failed()) return exit_reason::io_failure;
    return ended == loop_exit::signal ? exit_reason::signal : exit_reason::terminate;
}

} // namespace zd::journal
