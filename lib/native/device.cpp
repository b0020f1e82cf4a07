#include "native/device.hpp"

#include "base/drop_events.hpp"
#include "base/ipc_lock.hpp"
#include "base/json_writer.hpp"
#include "base/log.hpp"
#include "base/stop_signal.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <poll.h>
#include <stdexcept>
#include <system_error>

namespace zd {

namespace {

using clock = std::chrono::steady_clock;

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

void attach(native_side_t& side, endpoint_list_t& endpoints) {
    for (auto& endpoint : endpoints) {
        const bool bind = endpoint.mode == attach_mode::bind;
        const auto parsed = zmtp::parse_address(endpoint.address, bind);
        if (!parsed.address)
            throw std::invalid_argument("endpoint " + endpoint.to_string() + ": " +
                                        parsed.unsupported);
        if (bind) {
            // The listener removes a socket file in the way: not one a live process serves.
            hold_ipc_path(endpoint.address);
            side.listeners.push_back(std::make_unique<zmtp::listener_t>(*parsed.address));
            endpoint.address = side.listeners.back()->endpoint();
        } else {
            side.connectors.push_back(
                std::make_unique<zmtp::connector_t>(*parsed.address, reconnect_interval));
        }
    }
}

// What a pollfd stands for.
struct poll_target_t {
    enum kind_t { stop, control, listener, connector, peer } kind;
    native_side_t* side = nullptr;
    std::size_t index = 0;
};

} // namespace

std::string native_engine_unsupported(const device_description_t& description,
                                      const socket_options_t& options) {
    if (options.curve) return "CURVE (--curve-*)";
    if (!options.zap_domain.empty()) return "address lists (--allow-ip, --deny-ip)";
    if (options.heartbeat_interval_ms > 0 || options.heartbeat_timeout_ms > 0 ||
        options.heartbeat_ttl_ms > 0)
        return "ZMTP heartbeats (--heartbeat-ivl/-timeout/-ttl)";
    if (auto why = side_unsupported(description.frontend); !why.empty()) return why;
    return side_unsupported(description.backend);
}

native_device_t::native_device_t(device_description_t& description, const socket_options_t& options,
                                 std::string frontend_type, std::string backend_type)
    : description_(description),
      options_(options), frontend_{"frontend", std::move(frontend_type), {}, {}, {}},
      backend_{"backend", std::move(backend_type), {}, {}, {}} {
    if (auto why = native_engine_unsupported(description, options); !why.empty())
        throw std::invalid_argument("the native engine does not support " + why);
    limits_.max_message = options.max_message_size >= 0 ? std::uint64_t(options.max_message_size)
                                                        : std::numeric_limits<std::uint64_t>::max();
    limits_.max_frames = std::numeric_limits<std::size_t>::max(); // bounded by the bytes
    attach(frontend_, description.frontend);
    attach(backend_, description.backend);
}

native_device_t::~native_device_t() = default;

std::uint64_t message_bytes(const std::vector<std::string_view>& frames) {
    std::uint64_t bytes = 0;
    for (const auto frame : frames)
        bytes += frame.size();
    return bytes;
}

std::size_t native_round_robin_t::pick(const native_side_t& side, std::size_t mark) const {
    for (std::size_t tried = 0; tried < side.peers.size(); ++tried) {
        const std::size_t index = (next_ + tried) % side.peers.size();
        const native_peer_t& peer = *side.peers[index];
        if (peer.announced && !peer.connection->broken() &&
            peer.connection->queued_messages() < mark)
            return index;
    }
    return none;
}

bool any_held(const native_side_t& side) {
    return std::any_of(side.peers.begin(), side.peers.end(),
                       [](const auto& peer) { return peer->held && !peer->connection->broken(); });
}

void relay_round_robin(native_device_t& device, native_peer_t& from, native_side_t& to,
                       native_round_robin_t& round_robin, direction_counters_t& way,
                       std::string_view envelope, std::vector<std::string_view>& frames) {
    while (true) {
        const std::size_t target = round_robin.pick(to, device.send_mark());
        if (target == native_round_robin_t::none) {
            from.held = true; // read no more from it until a peer has room
            return;
        }
        if (!from.connection->next_message(frames)) break;
        round_robin.advance_past(target);
        if (!envelope.empty()) frames.insert(frames.begin(), envelope);
        const std::uint64_t bytes = message_bytes(frames);
        ++way.received_messages;
        way.received_bytes += bytes;
        ++from.messages_received;
        device.capture(frames);
        to.peers[target]->connection->queue_message(frames);
        ++to.peers[target]->messages_sent;
        ++way.sent_messages;
        way.sent_bytes += bytes;
    }
    from.held = false;
}

std::size_t native_device_t::send_mark() const {
    return options_.send_hwm > 0 ? std::size_t(options_.send_hwm)
                                 : std::numeric_limits<std::size_t>::max();
}

void native_device_t::capture(const std::vector<std::string_view>& frames) {
    if (!capture_) return;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const bool more = i + 1 < frames.size();
        zmq_msg_t copy;
        zmq_msg_init_size(&copy, frames[i].size());
        if (!frames[i].empty())
            std::memcpy(zmq_msg_data(&copy), frames[i].data(), frames[i].size());
        if (zmq_msg_send(&copy, capture_->handle(), ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0)) < 0) {
            // Only the first frame can be refused (a PUB takes the rest of a message it took).
            zmq_msg_close(&copy);
            ++counters_.capture_dropped;
            return;
        }
    }
    ++counters_.captured_messages;
}

void native_device_t::write_json(json_writer_t& json) const {
    json.key("queued").begin_object();
    for (const native_side_t* side : {&frontend_, &backend_}) {
        std::uint64_t messages = 0, bytes = 0;
        for (const auto& peer : side->peers) {
            messages += peer->connection->queued_messages();
            bytes += peer->connection->queued_bytes();
        }
        json.key(side->name).begin_object().key("queued_messages").value(messages);
        json.key("queued_bytes").value(bytes).end_object();
    }
    json.end_object();
    if (routing_) routing_->write_stats(json);
}

void native_device_t::flush(native_side_t& side) {
    for (auto& peer : side.peers)
        if (peer->connection->wants_write()) peer->connection->on_writable();
}

// One run of the device: the state that lives only while run() does.
struct native_device_t::loop_t {
    loop_t(native_device_t& d, native_routing_t& r, stop_signal_t& s, control_server_t* c)
        : device(d), routing(r), stop(s), control(c) {}

    native_device_t& device;
    native_routing_t& routing;
    stop_signal_t& stop;
    control_server_t* control;
    bool terminate = false;
    std::uint64_t started_ms = steady_ms();
    std::vector<pollfd> pollfds;                       // rebuilt every turn
    std::vector<poll_target_t> poll_targets;           // what each pollfd stands for
    proxy_drop_events_t drop_events{device.counters_}; // reports what is left at the end

    void add_peer(native_side_t& side, int fd, bool tcp, zmtp::connector_t* connector);
    void tell_peer_listener(const native_side_t& side, const native_peer_t& peer,
                            peer_event_t::kind_t kind) const;
    void start_due_connectors(native_side_t& side, clock::time_point now);
    void build_poll_set();
    int poll_timeout_ms(clock::time_point now) const;
    void serve_control();
    void on_event(const poll_target_t& target, short revents, clock::time_point now);
    void announce_ready(native_side_t& side);
    void drop_broken(native_side_t& side, clock::time_point now);
    void forward();
    void linger();
    loop_exit run();
};

void native_device_t::loop_t::add_peer(native_side_t& side, int fd, bool tcp,
                                       zmtp::connector_t* connector) {
    if (tcp) zmtp::tune_tcp_socket(fd, device.options_.tcp_keepalive);
    auto peer = std::make_unique<native_peer_t>();
    peer->connection = std::make_unique<zmtp::connection_t>(
        fd, side.socket_type, device.options_.routing_id.value_or(std::string()), device.limits_);
    peer->connector = connector;
    peer->address = peer_address_of(fd);
    ++side.connections;
    if (peer->address.empty()) peer->address = "ipc #" + std::to_string(side.connections);
    peer->connection->on_writable(); // our greeting, at once
    tell_peer_listener(side, *peer, peer_event_t::kind_t::connected);
    side.peers.push_back(std::move(peer));
}

void native_device_t::loop_t::tell_peer_listener(const native_side_t& side,
                                                 const native_peer_t& peer,
                                                 peer_event_t::kind_t kind) const {
    if (!device.peer_listener_) return;
    peer_event_t event{kind,
                       &side == &device.frontend_ ? 0u : 1u,
                       std::uint64_t(reinterpret_cast<std::uintptr_t>(&peer)),
                       {},
                       {}};
    if (kind == peer_event_t::kind_t::connected && !peer.address.starts_with("ipc #"))
        event.address = peer.address;
    device.peer_listener_(event);
}

void native_device_t::loop_t::start_due_connectors(native_side_t& side, clock::time_point now) {
    for (auto& connector : side.connectors) {
        const int fd = connector->start_if_due(now);
        if (fd >= 0) add_peer(side, fd, connector->is_tcp(), connector.get());
    }
}

void native_device_t::loop_t::build_poll_set() {
    pollfds.clear();
    poll_targets.clear();
    auto add = [&](int fd, short events, poll_target_t target) {
        pollfds.push_back(pollfd{fd, events, 0});
        poll_targets.push_back(target);
    };
    for (native_side_t* side : {&device.frontend_, &device.backend_}) {
        for (std::size_t i = 0; i < side->listeners.size(); ++i)
            add(side->listeners[i]->fd(), POLLIN, {poll_target_t::listener, side, i});
        for (std::size_t i = 0; i < side->connectors.size(); ++i)
            if (side->connectors[i]->pending_fd() >= 0)
                add(side->connectors[i]->pending_fd(), POLLOUT,
                    {poll_target_t::connector, side, i});
        for (std::size_t i = 0; i < side->peers.size(); ++i) {
            const native_peer_t& peer = *side->peers[i];
            const auto& connection = *peer.connection;
            // A handshake is always read; traffic unless the routing holds the peer or the
            // device is paused (which holds the frontend).
            const bool paused_here = device.paused_ && side == &device.frontend_;
            const bool read = !connection.ready() || (!peer.held && !paused_here);
            const short events =
                short((read ? POLLIN : 0) | (connection.wants_write() ? POLLOUT : 0));
            // Not polled at all when held with nothing to write: poll would report a hang-up
            // (POLLHUP) even unasked, and the loop would spin until the hold ends.
            if (events != 0) add(connection.fd(), events, {poll_target_t::peer, side, i});
        }
    }
    add(stop.fd(), POLLIN, {poll_target_t::stop});
    if (control) add(control->socket().get(zmq::sockopt::fd), POLLIN, {poll_target_t::control});
}

int native_device_t::loop_t::poll_timeout_ms(clock::time_point now) const {
    clock::time_point next = clock::time_point::max();
    for (const native_side_t* side : {&device.frontend_, &device.backend_})
        for (const auto& connector : side->connectors)
            next = std::min(next, connector->next_attempt());
    int timeout = -1;
    if (next != clock::time_point::max()) {
        using namespace std::chrono;
        timeout = next <= now ? 0 : int(duration_cast<milliseconds>(next - now).count()) + 1;
    }
    const int drops_due = drop_events.timeout_ms();
    if (drops_due >= 0 && (timeout < 0 || drops_due < timeout)) timeout = drops_due;
    return timeout;
}

// libzmq signals the control socket's descriptor only on edges: ask it for what is
// waiting before every poll, and serve everything.
void native_device_t::loop_t::serve_control() {
    if (!control) return;
    while (control->socket().get(zmq::sockopt::events) & ZMQ_POLLIN)
        control->serve_pending([this](control_command command, std::string_view text) {
            return answer_proxy_control(command, text, device.paused_, terminate,
                                        device.description_, device.counters_, started_ms);
        });
}

void native_device_t::loop_t::on_event(const poll_target_t& target, short revents,
                                       clock::time_point now) {
    if (target.side == nullptr) return; // stop and control: run() handles them
    native_side_t& side = *target.side;
    switch (target.kind) {
    case poll_target_t::listener: {
        auto& listener = *side.listeners[target.index];
        for (int fd; (fd = listener.accept()) >= 0;)
            add_peer(side, fd, listener.is_tcp(), nullptr);
        break;
    }
    case poll_target_t::connector: {
        auto& connector = *side.connectors[target.index];
        const int fd = connector.on_writable(now);
        if (fd >= 0)
            add_peer(side, fd, connector.is_tcp(), &connector);
        else
            log::debug(std::string(side.name) + " " + connector.endpoint() + ": " +
                       connector.last_error() + "; retrying");
        break;
    }
    case poll_target_t::peer: {
        auto& connection = *side.peers[target.index]->connection;
        if (revents & (POLLIN | POLLHUP | POLLERR)) connection.on_readable();
        if (revents & POLLOUT) connection.on_writable();
        break;
    }
    default:
        break;
    }
}

void native_device_t::loop_t::announce_ready(native_side_t& side) {
    for (auto& peer : side.peers)
        if (!peer->announced && peer->connection->ready() && !peer->connection->broken()) {
            peer->announced = true;
            routing.peer_ready(side, *peer);
        }
}

void native_device_t::loop_t::drop_broken(native_side_t& side, clock::time_point now) {
    auto gone = [&](const std::unique_ptr<native_peer_t>& peer) {
        const auto& connection = *peer->connection;
        if (!connection.broken()) return false;
        if (peer->announced) routing.peer_gone(side, *peer);
        // As libzmq counts it: a connection that ends before its handshake completed failed
        // the handshake (a bad greeting, or a peer that hung up, such as a port scan).
        if (!connection.ready())
            tell_peer_listener(side, *peer, peer_event_t::kind_t::handshake_failed);
        tell_peer_listener(side, *peer, peer_event_t::kind_t::disconnected);
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

// The routing moves messages, and they are written right away; again while it has more.
void native_device_t::loop_t::forward() {
    do {
        routing.forward();
        device.flush(device.backend_);
        device.flush(device.frontend_);
    } while (routing.forward_again());
}

// After a stop: peers get up to the linger time to take what is queued for them.
void native_device_t::loop_t::linger() {
    const auto deadline =
        clock::now() + std::chrono::milliseconds(std::max(device.options_.linger_ms, 0));
    while (true) {
        pollfds.clear();
        for (native_side_t* side : {&device.frontend_, &device.backend_})
            for (auto& peer : side->peers)
                if (peer->connection->wants_write() && !peer->connection->broken())
                    pollfds.push_back(pollfd{peer->connection->fd(), POLLOUT, 0});
        const auto now = clock::now();
        if (pollfds.empty() || now >= deadline) return;
        using namespace std::chrono;
        if (::poll(pollfds.data(), pollfds.size(),
                   int(duration_cast<milliseconds>(deadline - now).count()) + 1) < 0 &&
            errno != EINTR)
            return;
        device.flush(device.frontend_);
        device.flush(device.backend_);
    }
}

loop_exit native_device_t::loop_t::run() {
    while (!terminate) {
        auto now = clock::now();
        start_due_connectors(device.frontend_, now);
        start_due_connectors(device.backend_, now);
        serve_control();
        if (terminate) break;
        forward();
        drop_events.poll();

        build_poll_set();
        if (::poll(pollfds.data(), pollfds.size(), poll_timeout_ms(now)) < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "poll");
        }
        now = clock::now();
        for (std::size_t i = 0; i < pollfds.size(); ++i) {
            if (pollfds[i].revents == 0) continue;
            if (poll_targets[i].kind == poll_target_t::stop && stop.received()) {
                linger();
                return loop_exit::signal;
            }
            on_event(poll_targets[i], pollfds[i].revents, now);
        }
        announce_ready(device.frontend_);
        announce_ready(device.backend_);
        drop_broken(device.frontend_, now);
        drop_broken(device.backend_, now);
    }
    linger();
    return loop_exit::terminate;
}

loop_exit native_device_t::run(native_routing_t& routing, stop_signal_t& stop,
                               zmq::socket_t* capture, control_server_t* control) {
    capture_ = capture;
    routing_ = &routing;
    description_.waiting = this;
    loop_t loop(*this, routing, stop, control);
    const loop_exit why = loop.run();
    description_.waiting = nullptr;
    routing_ = nullptr;
    return why;
}

} // namespace zd
