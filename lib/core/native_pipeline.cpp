#include "core/native_pipeline.hpp"

#include "core/log.hpp"
#include "core/stop_signal.hpp"
#include "zmtp/connection.hpp"
#include "zmtp/connector.hpp"
#include "zmtp/listener.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <poll.h>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace zd {

namespace {

using clock = std::chrono::steady_clock;

std::uint64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(clock::now().time_since_epoch()).count();
}

// libzmq's default ZMQ_RECONNECT_IVL: how long a connecting side waits between attempts.
constexpr std::chrono::milliseconds reconnect_interval{100};

// Every endpoint of a side the native transport can take, or why not.
std::string side_unsupported(const endpoint_list_t& endpoints) {
    for (const auto& endpoint : endpoints) {
        const auto parsed =
            zmtp::parse_address(endpoint.address, endpoint.mode == attach_mode::bind);
        if (!parsed.address) return "endpoint " + endpoint.to_string() + ": " + parsed.unsupported;
    }
    return {};
}

// One producer or consumer connection.
struct peer_t {
    std::unique_ptr<zmtp::connection_t> connection;
    zmtp::connector_t* connector = nullptr; // reconnects when this peer is gone; null if accepted
    bool held = false; // a producer with messages we could not forward yet (no consumer room)
};

// One side of the device: its listeners, connectors and peers.
struct side_t {
    const char* name;        // "frontend"
    const char* socket_type; // ours, as READY names it
    std::vector<std::unique_ptr<zmtp::listener_t>> listeners;
    std::vector<std::unique_ptr<zmtp::connector_t>> connectors;
    std::vector<std::unique_ptr<peer_t>> peers;
};

// What a pollfd stands for.
struct poll_target_t {
    enum kind_t { stop, control, listener, connector, peer } kind;
    side_t* side = nullptr;
    std::size_t index = 0;
};

} // namespace

std::string native_pipeline_unsupported(const device_description_t& description,
                                        const socket_options_t& options) {
    if (options.heartbeat_interval_ms > 0 || options.heartbeat_timeout_ms > 0 ||
        options.heartbeat_ttl_ms > 0)
        return "ZMTP heartbeats (--heartbeat-ivl/-timeout/-ttl)";
    if (auto why = side_unsupported(description.frontend); !why.empty()) return why;
    return side_unsupported(description.backend);
}

struct native_pipeline_t::state_t {
    device_description_t& description;
    socket_options_t options;
    zmq::socket_t* capture = nullptr;
    control_server_t* control = nullptr;
    zmtp::connection_limits_t limits;
    side_t frontend{"frontend", "PULL", {}, {}, {}};
    side_t backend{"backend", "PUSH", {}, {}, {}};
    proxy_counters_t counters;
    bool paused = false;
    bool terminate = false;
    std::uint64_t started_ms = 0;
    std::size_t next_consumer = 0;           // round robin over backend peers
    std::size_t next_producer = 0;           // where the fair queue starts next time
    std::vector<std::string_view> frames;    // the message being forwarded
    std::vector<pollfd> pollfds;             // rebuilt every turn of the loop
    std::vector<poll_target_t> poll_targets; // what each pollfd stands for

    state_t(device_description_t& d, const socket_options_t& o) : description(d), options(o) {
        if (options.max_message_size >= 0)
            limits.max_message = std::uint64_t(options.max_message_size);
        else
            limits.max_message = std::numeric_limits<std::uint64_t>::max();
        limits.max_frames = std::numeric_limits<std::size_t>::max(); // bounded by the bytes
    }

    void attach(side_t& side, endpoint_list_t& endpoints);
    void add_peer(side_t& side, int fd, bool tcp, zmtp::connector_t* connector);
    void start_due_connectors(side_t& side, clock::time_point now);
    void build_poll_set();
    int poll_timeout_ms(clock::time_point now) const;
    void serve_control();
    void on_event(const poll_target_t& target, short revents, clock::time_point now);
    std::size_t pick_consumer() const;
    bool consumer_has_room() const { return pick_consumer() != no_consumer; }
    bool producer_held() const;
    static constexpr std::size_t no_consumer = std::size_t(-1);
    void forward();
    void forward_from(peer_t& producer);
    void capture_message();
    void flush_consumers();
    void drop_broken(side_t& side, clock::time_point now);
    void linger();
    control_reply_t answer(control_command command, std::string_view text);
};

void native_pipeline_t::state_t::attach(side_t& side, endpoint_list_t& endpoints) {
    for (auto& endpoint : endpoints) {
        const bool bind = endpoint.mode == attach_mode::bind;
        const auto parsed = zmtp::parse_address(endpoint.address, bind);
        if (!parsed.address)
            throw std::invalid_argument("endpoint " + endpoint.to_string() + ": " +
                                        parsed.unsupported);
        if (bind) {
            side.listeners.push_back(std::make_unique<zmtp::listener_t>(*parsed.address));
            endpoint.address = side.listeners.back()->endpoint();
        } else {
            side.connectors.push_back(
                std::make_unique<zmtp::connector_t>(*parsed.address, reconnect_interval));
        }
    }
}

void native_pipeline_t::state_t::add_peer(side_t& side, int fd, bool tcp,
                                          zmtp::connector_t* connector) {
    if (tcp) zmtp::tune_tcp_socket(fd, options.tcp_keepalive);
    auto peer = std::make_unique<peer_t>();
    peer->connection = std::make_unique<zmtp::connection_t>(
        fd, side.socket_type, options.routing_id.value_or(std::string()), limits);
    peer->connector = connector;
    peer->connection->on_writable(); // our greeting, at once
    side.peers.push_back(std::move(peer));
}

void native_pipeline_t::state_t::start_due_connectors(side_t& side, clock::time_point now) {
    for (auto& connector : side.connectors) {
        const int fd = connector->start_if_due(now);
        if (fd >= 0) add_peer(side, fd, connector->endpoint().starts_with("tcp"), connector.get());
    }
}

void native_pipeline_t::state_t::build_poll_set() {
    pollfds.clear();
    poll_targets.clear();
    auto add = [&](int fd, short events, poll_target_t target) {
        pollfds.push_back(pollfd{fd, events, 0});
        poll_targets.push_back(target);
    };
    for (side_t* side : {&frontend, &backend}) {
        for (std::size_t i = 0; i < side->listeners.size(); ++i)
            add(side->listeners[i]->fd(), POLLIN, {poll_target_t::listener, side, i});
        for (std::size_t i = 0; i < side->connectors.size(); ++i)
            if (side->connectors[i]->pending_fd() >= 0)
                add(side->connectors[i]->pending_fd(), POLLOUT,
                    {poll_target_t::connector, side, i});
        for (std::size_t i = 0; i < side->peers.size(); ++i) {
            const auto& connection = *side->peers[i]->connection;
            // Producers are read only while their messages can go somewhere (back-pressure);
            // a handshake and consumers' input (commands, the close) are always read.
            const bool read =
                !connection.ready() || side == &backend || (!paused && !side->peers[i]->held);
            const short events =
                short((read ? POLLIN : 0) | (connection.wants_write() ? POLLOUT : 0));
            // Not polled at all when held with nothing to write: poll would report a hang-up
            // (POLLHUP) even unasked, and the loop would spin until a consumer has room.
            if (events != 0) add(connection.fd(), events, {poll_target_t::peer, side, i});
        }
    }
}

int native_pipeline_t::state_t::poll_timeout_ms(clock::time_point now) const {
    clock::time_point next = clock::time_point::max();
    for (const side_t* side : {&frontend, &backend})
        for (const auto& connector : side->connectors)
            next = std::min(next, connector->next_attempt());
    if (next == clock::time_point::max()) return -1;
    if (next <= now) return 0;
    using namespace std::chrono;
    return int(duration_cast<milliseconds>(next - now).count()) + 1;
}

control_reply_t native_pipeline_t::state_t::answer(control_command command, std::string_view text) {
    return answer_control(command, text, paused, terminate, statistics_values(counters), [&] {
        return stats_json(description, counters, paused, now_ms() - started_ms);
    });
}

// libzmq signals the control socket's descriptor only on edges: ask it for what is
// waiting before every poll, and serve everything.
void native_pipeline_t::state_t::serve_control() {
    if (!control) return;
    while (control->socket().get(zmq::sockopt::events) & ZMQ_POLLIN)
        control->serve_pending([this](control_command command, std::string_view text) {
            return answer(command, text);
        });
}

void native_pipeline_t::state_t::on_event(const poll_target_t& target, short revents,
                                          clock::time_point now) {
    if (target.side == nullptr) return; // stop and control: the loop handles them
    side_t& side = *target.side;
    switch (target.kind) {
    case poll_target_t::listener: {
        auto& listener = *side.listeners[target.index];
        for (int fd; (fd = listener.accept()) >= 0;)
            add_peer(side, fd, listener.endpoint().starts_with("tcp"), nullptr);
        break;
    }
    case poll_target_t::connector: {
        auto& connector = *side.connectors[target.index];
        const int fd = connector.on_writable(now);
        if (fd >= 0)
            add_peer(side, fd, connector.endpoint().starts_with("tcp"), &connector);
        else
            log::debug(std::string(side.name) + " " + connector.endpoint() + ": " +
                       connector.last_error() + "; retrying");
        break;
    }
    case poll_target_t::peer: {
        auto& connection = *side.peers[target.index]->connection;
        if (revents & (POLLIN | POLLHUP | POLLERR)) connection.on_readable();
        if (revents & POLLOUT) connection.on_writable();
        // Consumers send nothing but commands (answered inside next_message); a message
        // from one is not ours to forward, and reading it keeps its buffer from growing.
        if (&side == &backend)
            while (connection.next_message(frames)) {
            }
        break;
    }
    default:
        break;
    }
}

// The next consumer, round robin, that has finished its handshake and is under its
// high-water mark (--hwm, in messages; 0 means no mark); no_consumer if none is.
std::size_t native_pipeline_t::state_t::pick_consumer() const {
    const std::size_t count = backend.peers.size();
    const std::size_t mark = options.send_hwm > 0 ? std::size_t(options.send_hwm)
                                                  : std::numeric_limits<std::size_t>::max();
    for (std::size_t tried = 0; tried < count; ++tried) {
        const std::size_t index = (next_consumer + tried) % count;
        auto& connection = *backend.peers[index]->connection;
        if (connection.ready() && !connection.broken() && connection.queued_messages() < mark)
            return index;
    }
    return no_consumer;
}

bool native_pipeline_t::state_t::producer_held() const {
    return std::any_of(frontend.peers.begin(), frontend.peers.end(),
                       [](const auto& peer) { return peer->held && !peer->connection->broken(); });
}

void native_pipeline_t::state_t::capture_message() {
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const bool more = i + 1 < frames.size();
        zmq_msg_t copy;
        zmq_msg_init_size(&copy, frames[i].size());
        if (!frames[i].empty())
            std::memcpy(zmq_msg_data(&copy), frames[i].data(), frames[i].size());
        if (zmq_msg_send(&copy, capture->handle(), ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0)) < 0) {
            // Only the first frame can be refused (a PUB takes the rest of a message it took).
            zmq_msg_close(&copy);
            ++counters.capture_dropped;
            return;
        }
    }
    ++counters.captured_messages;
}

// Moves every whole message a producer has buffered to consumers, as long as one has room.
void native_pipeline_t::state_t::forward_from(peer_t& producer) {
    auto& in = *producer.connection;
    direction_counters_t& way = counters.frontend_to_backend;
    while (true) {
        const std::size_t consumer = pick_consumer();
        if (consumer == no_consumer) {
            producer.held = true; // read no more from it until a consumer has room
            return;
        }
        if (!in.next_message(frames)) break;
        next_consumer = consumer + 1;
        std::uint64_t bytes = 0;
        for (const auto frame : frames)
            bytes += frame.size();
        ++way.received_messages;
        way.received_bytes += bytes;
        if (capture) capture_message();
        backend.peers[consumer]->connection->queue_message(frames);
        ++way.sent_messages;
        way.sent_bytes += bytes;
    }
    producer.held = false;
}

// The fair queue: every producer in turn, starting one further each time.
void native_pipeline_t::state_t::forward() {
    const std::size_t count = frontend.peers.size();
    if (paused || count == 0) return;
    for (std::size_t turn = 0; turn < count; ++turn) {
        peer_t& producer = *frontend.peers[(next_producer + turn) % count];
        if (producer.connection->ready() && !producer.connection->broken()) forward_from(producer);
    }
    next_producer = (next_producer + 1) % count;
}

// Writes what forward() queued now rather than a poll later: usually the socket takes all.
void native_pipeline_t::state_t::flush_consumers() {
    for (auto& peer : backend.peers)
        if (peer->connection->wants_write()) peer->connection->on_writable();
}

void native_pipeline_t::state_t::drop_broken(side_t& side, clock::time_point now) {
    auto gone = [&](const std::unique_ptr<peer_t>& peer) {
        const auto& connection = *peer->connection;
        if (!connection.broken()) return false;
        const std::size_t unsent = connection.queued_messages();
        (unsent > 0 ? log::info : log::debug)(
            std::string(side.name) + " peer gone (" + connection.error() + ")" +
            (unsent > 0 ? "; " + std::to_string(unsent) + " messages queued for it are lost"
                        : std::string()));
        if (peer->connector) peer->connector->connection_lost(now);
        return true;
    };
    side.peers.erase(std::remove_if(side.peers.begin(), side.peers.end(), gone), side.peers.end());
}

// After a stop: consumers get up to the linger time to take what is queued for them.
void native_pipeline_t::state_t::linger() {
    const auto deadline = clock::now() + std::chrono::milliseconds(std::max(options.linger_ms, 0));
    while (true) {
        pollfds.clear();
        for (auto& peer : backend.peers)
            if (peer->connection->wants_write() && !peer->connection->broken())
                pollfds.push_back(pollfd{peer->connection->fd(), POLLOUT, 0});
        const auto now = clock::now();
        if (pollfds.empty() || now >= deadline) return;
        using namespace std::chrono;
        if (::poll(pollfds.data(), pollfds.size(),
                   int(duration_cast<milliseconds>(deadline - now).count()) + 1) < 0 &&
            errno != EINTR)
            return;
        flush_consumers();
    }
}

native_pipeline_t::native_pipeline_t(device_description_t& description,
                                     const socket_options_t& options)
    : state_(std::make_unique<state_t>(description, options)) {
    if (auto why = native_pipeline_unsupported(description, options); !why.empty())
        throw std::invalid_argument("the native engine does not support " + why);
    state_->attach(state_->frontend, description.frontend);
    state_->attach(state_->backend, description.backend);
}

native_pipeline_t::~native_pipeline_t() = default;

const proxy_counters_t& native_pipeline_t::counters() const {
    return state_->counters;
}

proxy_exit native_pipeline_t::run(stop_signal_t& stop, zmq::socket_t* capture,
                                  control_server_t* control) {
    state_t& s = *state_;
    s.capture = capture;
    s.control = control;
    s.started_ms = now_ms();
    while (!s.terminate) {
        auto now = clock::now();
        s.start_due_connectors(s.frontend, now);
        s.start_due_connectors(s.backend, now);
        s.serve_control();
        if (s.terminate) break;
        // Writing to consumers can make room for a held producer's messages: go on until
        // every producer is drained or every consumer is full.
        do {
            s.forward();
            s.flush_consumers();
        } while (!s.paused && s.producer_held() && s.consumer_has_room());

        s.build_poll_set();
        s.pollfds.push_back(pollfd{stop.fd(), POLLIN, 0});
        s.poll_targets.push_back({poll_target_t::stop});
        if (s.control) {
            s.pollfds.push_back(pollfd{s.control->socket().get(zmq::sockopt::fd), POLLIN, 0});
            s.poll_targets.push_back({poll_target_t::control});
        }
        if (::poll(s.pollfds.data(), s.pollfds.size(), s.poll_timeout_ms(now)) < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "poll");
        }
        now = clock::now();
        for (std::size_t i = 0; i < s.pollfds.size(); ++i) {
            if (s.pollfds[i].revents == 0) continue;
            if (s.poll_targets[i].kind == poll_target_t::stop && stop.received()) {
                s.linger();
                return proxy_exit::signal;
            }
            s.on_event(s.poll_targets[i], s.pollfds[i].revents, now);
        }
        s.drop_broken(s.frontend, now);
        s.drop_broken(s.backend, now);
    }
    s.linger();
    return proxy_exit::terminate;
}

} // namespace zd
