#include "journal/link/journal_link.hpp"

#include "base/control.hpp"
#include "base/events.hpp"
#include "base/json_writer.hpp"
#include "base/log.hpp"
#include "base/peer_table.hpp"
#include "base/poll_loop.hpp"
#include "base/socket_peer_monitor.hpp"
#include "journal/client/consumer.hpp"
#include "journal/client/protocol.hpp"
#include "journal/link/forward_window.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

namespace zd::journal {

namespace proto = protocol;
using clock = std::chrono::steady_clock;

namespace {

// How often the link looks at the near consumer when nothing arrives (it SUBscribes again
// after a near restart from inside receive()) and PINGs the far journal.
constexpr std::chrono::milliseconds housekeeping_interval{100};
constexpr std::chrono::milliseconds far_ping_interval{1000};

std::string checked_fallback_id(const link_config_t& config) {
    std::string id = config.fallback_id.empty() ? "zd-link." + config.name : config.fallback_id;
    if (!proto::valid_name(id))
        throw std::invalid_argument("zd-link: the producer id for records without one, '" + id +
                                    "', is not 1-255 printable characters without spaces "
                                    "(give --anonymous-id, or a shorter --name)");
    return id;
}

} // namespace

struct journal_link_t::impl_t {
    impl_t(zmq::context_t& context, const link_config_t& config,
           const link_socket_options_t& options)
        : config(config), window(checked_fallback_id(config), config.resend_after),
          far(context, zmq::socket_type::dealer) {
        options.far.apply_to(far);
        // Both sockets are watched before they connect, so no connection is missed.
        peer_monitor.emplace(context, [this](const peer_event_t& event) {
            peers.record(event);
            events::emit_peer(event, peers.side_name(event.side));
        });
        peer_monitor->watch(far, peers.side("far"));
        consumer_options_t near_options;
        near_options.socket = options.near;
        near_options.origin = true; // republish under the origin producer id and seq
        zmq::socket_t* near_socket = nullptr;
        near_options.before_connect = [this, &near_socket](zmq::socket_t& socket) {
            peer_monitor->watch(socket, peers.side("near"));
            near_socket = &socket;
        };
        try {
            near.emplace(context, config.near, config.name, config.position, config.window,
                         std::move(near_options));
        } catch (...) {
            // A connect libzmq refused (an ipc path too long) closed the watched socket.
            if (near_socket) peer_monitor->forget_closed(near_socket);
            throw;
        }
        peer_monitor->start(); // what happened meanwhile waits in the monitors
        attach(far, parse_endpoints(config.far, attach_mode::connect), options.far);
        control.emplace(context, config.control, options.control);
    }

    link_config_t config;
    forward_window_t window;
    zmq::socket_t far;
    std::optional<consumer_t> near; // made once the monitor below can watch its socket
    peer_table_t peers{{"near", "far"}};
    std::optional<socket_peer_monitor_t> peer_monitor; // after the sockets it watches
    std::optional<control_server_t> control;
    poll_loop_t* loop = nullptr;
    poll_loop_t::watch_id far_watch = 0;

    clock::time_point far_heard{}; // last message from the far journal
    clock::time_point next_far_ping = clock::now();
    bool far_up = false;      // heard from within far_silence
    bool far_blocked = false; // the far socket is at its high-water mark
    std::string refusal;
    std::uint64_t far_malformed = 0;   // far messages not understood
    std::uint64_t far_unavailable = 0; // ERR 503
    std::uint64_t near_acks = 0;       // times the near offset moved
    std::vector<zmq::message_t> incoming;
    std::vector<zmq::const_buffer> outgoing;
    std::string header;

    void refuse(std::string why) {
        log::error(why);
        refusal = std::move(why);
        if (loop) loop->stop();
    }
    void take_from_near();
    void read_far();
    void handle_far(const std::vector<std::string_view>& frames);
    void publish(clock::time_point now);
    bool send_pub(const forward_window_t::publication_t& publication);
    void ping_far_if_due(clock::time_point now);
    void note_far_state(clock::time_point now);
    void after_turn();
    clock::time_point next_wake() const;
    std::string stats_json() const;
    statistics_t statistics() const;
};

void journal_link_t::impl_t::take_from_near() {
    try {
        while (auto record = near->receive(std::chrono::milliseconds(0)))
            window.add(std::move(*record));
    } catch (const journal_error& error) {
        refuse(std::string("the near journal refused the subscription: ") + error.what());
    }
}

void journal_link_t::impl_t::read_far() {
    while (client_detail::receive(far, incoming)) {
        far_heard = clock::now();
        handle_far(client_detail::views_of(incoming));
    }
}

// "ACK producer seq" | "NACK producer expected" | "ERR code text" | "PONG"
void journal_link_t::impl_t::handle_far(const std::vector<std::string_view>& frames) {
    if (frames.size() != 1) {
        ++far_malformed;
        return;
    }
    std::string_view tokens[3];
    const std::size_t count = client_detail::split_line(frames[0], tokens, 3);
    const std::string_view command = tokens[0];
    if (command == proto::cmd_pong && count == 1) return;
    if (command == proto::cmd_error && count >= 2) {
        if (tokens[1] == proto::status_unavailable) {
            ++far_unavailable; // later: the stall timer resends
            return;
        }
        refuse("the far journal refused a record (ERR " + std::string(tokens[1]) + " " +
               std::string(count == 3 ? tokens[2] : "") +
               "); it stays in the near journal, unacknowledged");
        return;
    }
    const auto number = count == 3 ? proto::parse_decimal(tokens[2]) : std::nullopt;
    if (!number) {
        ++far_malformed;
        return;
    }
    if (command == proto::cmd_ack) {
        if (const auto near_offset = window.on_ack(tokens[1], *number, clock::now())) {
            near->ack(*near_offset);
            ++near_acks;
        }
    } else if (command == proto::cmd_nack) {
        window.on_nack(tokens[1], *number);
    } else {
        ++far_malformed;
    }
}

bool journal_link_t::impl_t::send_pub(const forward_window_t::publication_t& publication) {
    const link_entry_t& entry = *publication.entry;
    char seq_digits[24], base_digits[24];
    header.assign(proto::cmd_publish)
        .append(" ")
        .append(entry.producer)
        .append(" ")
        .append(proto::format_decimal(entry.seq, seq_digits))
        .append(" ")
        .append(proto::format_decimal(publication.base, base_digits));
    outgoing.clear();
    outgoing.emplace_back(header.data(), header.size());
    for (const auto& frame : entry.frames)
        outgoing.emplace_back(frame.data(), frame.size());
    return client_detail::try_send(far, outgoing);
}

void journal_link_t::impl_t::publish(clock::time_point now) {
    window.resend_if_stalled(now);
    far_blocked = false;
    while (const auto publication = window.next_to_publish()) {
        if (!send_pub(*publication)) {
            far_blocked = true; // wait for room (POLLOUT), never in a send
            break;
        }
        window.mark_published(now);
    }
    loop->set_events(far_watch, ZMQ_POLLIN | (far_blocked ? ZMQ_POLLOUT : 0));
}

void journal_link_t::impl_t::ping_far_if_due(clock::time_point now) {
    if (now < next_far_ping) return;
    next_far_ping = now + far_ping_interval;
    (void)far.send(zmq::buffer(proto::cmd_ping), zmq::send_flags::dontwait);
}

void journal_link_t::impl_t::note_far_state(clock::time_point now) {
    const bool up = far_heard != clock::time_point{} && now - far_heard < config.far_silence;
    if (up == far_up) return;
    far_up = up;
    log::info(std::string("far journal ") + (up ? "answers" : "silent"));
    events::emit(up ? "link_up" : "link_down", [this](json_writer_t& json) {
        json.key("name").value(config.name).key("far").value(config.far);
    });
}

void journal_link_t::impl_t::after_turn() {
    if (!loop->paused()) take_from_near(); // also the consumer's timers (ACK flush, SUB again)
    const auto now = clock::now();
    publish(now);
    ping_far_if_due(now);
    note_far_state(now);
}

clock::time_point journal_link_t::impl_t::next_wake() const {
    return std::min({window.resend_due(), next_far_ping, clock::now() + housekeeping_interval});
}

statistics_t journal_link_t::impl_t::statistics() const {
    // The steerable-proxy shape: the near journal is the frontend, the far one the backend.
    const auto& c = window.counters();
    return {.frontend_messages_in = c.received,
            .frontend_messages_out = near_acks,
            .backend_messages_in = c.far_acked,
            .backend_messages_out = c.published};
}

std::string journal_link_t::impl_t::stats_json() const {
    json_writer_t json;
    json.begin_object();
    const std::string_view state = far_up ? "running" : "far_down";
    write_stats_header(json, "zd-link", loop ? loop->uptime_ms() : 0,
                       loop && loop->paused() ? "paused" : state);
    const auto& c = window.counters();
    json.key("name").value(config.name);
    // One "link" object, so every path is the link's own (docs/METRICS.md: zd_link_*).
    json.key("link").begin_object();
    json.key("near").begin_object().key("endpoint").value(config.near).key("acked");
    if (window.near_acked())
        json.value(*window.near_acked());
    else
        json.null();
    json.key("subscriptions")
        .value(near->subscriptions())
        .key("duplicates_dropped")
        .value(near->duplicates_dropped())
        .end_object();
    json.key("far")
        .begin_object()
        .key("endpoint")
        .value(config.far)
        .key("up")
        .value(far_up)
        .end_object();
    json.key("window")
        .begin_object()
        .key("limit")
        .value(std::uint64_t(config.window))
        .key("held")
        .value(std::uint64_t(window.size()))
        .key("in_flight")
        .value(std::uint64_t(window.in_flight()))
        .key("waiting")
        .value(std::uint64_t(window.waiting()))
        .end_object();
    // The backlog sits in the near journal, which a consumer cannot see the end of: its
    // STATS (log next_offset minus this name's acked_next) tells it.
    json.key("backlog").null();
    json.key("counters")
        .begin_object()
        .key("received")
        .value(c.received)
        .key("forwarded")
        .value(c.far_acked)
        .key("published")
        .value(c.published)
        .key("republished")
        .value(c.republished)
        .key("anonymous")
        .value(c.anonymous)
        .key("nacks")
        .value(c.nacks)
        .key("stalls")
        .value(c.stalls)
        .key("near_acks")
        .value(near_acks)
        .key("far_unavailable")
        .value(far_unavailable)
        .key("far_malformed")
        .value(far_malformed)
        .end_object();
    json.end_object();
    peers.write_json(json);
    json.end_object();
    return json.str();
}

journal_link_t::journal_link_t(zmq::context_t& context, const link_config_t& config,
                               const link_socket_options_t& options)
    : impl_(std::make_unique<impl_t>(context, config, options)) {}

journal_link_t::~journal_link_t() = default;

const endpoint_list_t& journal_link_t::control_endpoints() const {
    return impl_->control->endpoints();
}
zmq::socket_t& journal_link_t::control_socket() {
    return impl_->control->socket();
}
const std::string& journal_link_t::refusal() const {
    return impl_->refusal;
}

journal_link_t::exit_reason journal_link_t::run(stop_signal_t& stop) {
    auto& self = *impl_;
    poll_loop_t loop(
        stop, &*self.control,
        {[&self] { return self.statistics(); }, [&self] { return self.stats_json(); }});
    self.loop = &loop;
    // PAUSE stops taking records from the near journal; what is held still goes out.
    loop.add(
        self.near->socket(), ZMQ_POLLIN, [&self] { self.take_from_near(); },
        poll_loop_t::on_pause::stop);
    self.far_watch = loop.add(self.far, ZMQ_POLLIN, [&self] { self.read_far(); });
    loop.set_deadline([&self] { return self.next_wake(); });
    loop.set_after_turn([&self] { self.after_turn(); });
    const loop_exit ended = loop.run();
    // A clean stop: the near journal gets the last ACK now, so the next run starts after it.
    (void)self.near->settle(std::chrono::milliseconds(1000));
    self.loop = nullptr;
    if (!self.refusal.empty()) return exit_reason::refused;
    return ended == loop_exit::signal ? exit_reason::signal : exit_reason::terminate;
}

} // namespace zd::journal
