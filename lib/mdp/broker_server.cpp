#include "mdp/broker_server.hpp"

#include "base/events.hpp"
#include "base/json_writer.hpp"
#include "base/log.hpp"
#include "base/message_io.hpp"
#include "base/peer_identity.hpp"
#include "base/poll_loop.hpp"
#include "base/socket_peer_monitor.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace zd::mdp {

namespace {
using steady = std::chrono::steady_clock;

// ZMQ_SRCFD is deprecated in libzmq 4.3 but is the only way to learn which connection a
// ROUTER message came from without draft APIs (ZMQ_ROUTER_NOTIFY is draft-only there).
constexpr int source_fd_property = 2;

std::uint64_t inode_of(int fd) {
    struct stat info;
    return fstat(fd, &info) == 0 ? std::uint64_t(info.st_ino) : 0;
}

// One log line for a refusal report: which service, how many, and the flag to raise, since
// the client is never told (MDP has no error reply). The name is written as a JSON string:
// service names are any bytes.
std::string describe(const refusal_report_t& report, const broker_config_t& config) {
    json_writer_t name;
    name.value(report.service);
    std::string flag, limit_text, advice = ", or add workers";
    switch (report.limit) {
    case queue_limit::bytes:
        flag = "--max-queue-bytes";
        limit_text = "its queue holds " + std::to_string(report.queued_bytes) + " bytes in " +
                     std::to_string(report.queued) + " requests (" + flag + " " +
                     std::to_string(config.max_queue_bytes) + ")";
        break;
    case queue_limit::requests:
        flag = "--max-queue";
        limit_text = "its queue holds " + std::to_string(report.queued) + " requests (" + flag +
                     " " + std::to_string(config.max_queue) + ")";
        break;
    case queue_limit::services:
        flag = "--max-services";
        limit_text = "it is new and the broker knows " + std::to_string(config.max_services) +
                     " services already (" + flag + " " + std::to_string(config.max_services) + ")";
        advice = "";
        break;
    }
    const auto interval_ms = config.refusal_report_interval.count();
    const std::string every = interval_ms % 1000 == 0 ? std::to_string(interval_ms / 1000) + " s"
                                                      : std::to_string(interval_ms) + " ms";
    std::string line = "service " + name.str() + ": ";
    const std::string count = std::to_string(report.refused);
    if (report.first)
        line += "refused " + count + (report.refused == 1 ? " request" : " requests") +
                " (dropped unanswered: MDP cannot tell the client): " + limit_text + ". Raise " +
                flag + advice + ". Further refusals are logged at most every " + every;
    else
        line += "refused " + count + " more" + (report.refused == 1 ? " request" : " requests") +
                " since the last report: " + limit_text;
    return line;
}

std::string unique_monitor_address() {
    static std::atomic<int> counter{0};
    return "inproc://zd-broker-monitor-" + std::to_string(getpid()) + "-" +
           std::to_string(counter++);
}
} // namespace

// A link we opened to a peer broker: a DEALER connected to its endpoint, and a monitor that
// says when the connection comes and goes. Its id, the first frame of what the broker sends
// it, starts with a zero byte and is longer than a ROUTER's own ids (5 bytes), so it can
// never be a client's or a worker's.
struct broker_server_t::peer_link_t {
    static constexpr std::string_view id_prefix{"\0zd-link:", 9};
    peer_link_t(zmq::context_t& context, std::size_t index)
        : dealer(context, zmq::socket_type::dealer), monitor(context, zmq::socket_type::pair),
          id(std::string(id_prefix) + std::to_string(index)) {}
    zmq::socket_t dealer;
    zmq::socket_t monitor;
    std::string id;
    std::string label;
};

// Sends through the ROUTER, or a link's DEALER, without ever blocking. ROUTER_MANDATORY
// turns "peer gone" and "peer full" into errors, so the broker can count undeliverable
// replies; a link's DEALER (ZMQ_IMMEDIATE) fails when its connection is down.
class broker_server_t::router_outbox_t : public outbox_t {
public:
    router_outbox_t(zmq::socket_t& router, std::vector<std::unique_ptr<peer_link_t>>& links)
        : router_(router), links_(links) {}
    bool send(std::vector<zmq::message_t>& frames) override {
        const std::string_view to = frames[0].to_string_view();
        if (to.size() > peer_link_t::id_prefix.size() && to[0] == '\0' &&
            to.starts_with(peer_link_t::id_prefix))
            return send_to_link(to, frames);
        return send_on(router_, frames, 0);
    }
    std::uint64_t messages_out = 0;

private:
    bool send_to_link(std::string_view to, std::vector<zmq::message_t>& frames) {
        std::size_t index = 0;
        for (char digit : to.substr(peer_link_t::id_prefix.size()))
            index = index * 10 + std::size_t(digit - '0');
        if (index >= links_.size()) return false;
        return send_on(links_[index]->dealer, frames, 1);
    }
    bool send_on(zmq::socket_t& socket, std::vector<zmq::message_t>& frames, std::size_t first) {
        for (std::size_t i = first; i < frames.size(); ++i) {
            const int flags = ZMQ_DONTWAIT | (i + 1 < frames.size() ? ZMQ_SNDMORE : 0);
            if (zmq_msg_send(frames[i].handle(), socket.handle(), flags) < 0) return false;
        }
        ++messages_out;
        return true;
    }

    zmq::socket_t& router_;
    std::vector<std::unique_ptr<peer_link_t>>& links_;
};

broker_server_t::broker_server_t(zmq::context_t& context, const endpoint_list_t& endpoints,
                                 const endpoint_list_t& control,
                                 const broker_socket_options_t& options,
                                 const broker_config_t& config, const endpoint_list_t& peers)
    : router_(context, zmq::socket_type::router), monitor_(context, zmq::socket_type::pair) {
    options.endpoint.apply_to(router_);
    router_.set(zmq::sockopt::router_mandatory, 1);
    const std::string monitor_address = unique_monitor_address();
    if (zmq_socket_monitor(router_.handle(), monitor_address.c_str(), peer_monitor_events) != 0)
        throw zmq::error_t();
    monitor_.set(zmq::sockopt::linger, 0);
    monitor_.connect(monitor_address);
    max_frames_ = config.max_frames;
    outbox_ = std::make_unique<router_outbox_t>(router_, peer_links_);
    broker_ = std::make_unique<broker_t>(config, *outbox_);
    broker_->set_refusal_reporter(
        [config](const refusal_report_t& report) { log::error(describe(report, config)); });
    endpoints_ = attach(router_, endpoints, options.endpoint);
    reads_identity_ = socket_authenticates(router_); // its options are final once attached
    for (const endpoint_t& peer : peers)
        open_peer_link(context, peer, options.peer, config);
    // Always: --metrics asks STATS through it even when --control binds nothing.
    control_.emplace(context, control, options.control);
}

broker_server_t::~broker_server_t() {
    // Stop the monitors before their sockets close, so libzmq drops the inproc pairs cleanly.
    zmq_socket_monitor(router_.handle(), nullptr, 0);
    for (auto& link : peer_links_)
        zmq_socket_monitor(link->dealer.handle(), nullptr, 0);
}

// A DEALER to the peer's endpoint. ZMQ_IMMEDIATE: nothing queues for a connection that is
// not there (a request the link cannot take stays in our queue, for another route). ZMTP
// heartbeats close a connection that went silent (a link that drops packets), so libzmq
// reconnects; our own HELLO and heartbeats decide when the peer is up.
void broker_server_t::open_peer_link(zmq::context_t& context, const endpoint_t& peer,
                                     const socket_options_t& options,
                                     const broker_config_t& config) {
    auto link = std::make_unique<peer_link_t>(context, peer_links_.size());
    link->label = peer.to_string();
    options.apply_to(link->dealer);
    link->dealer.set(zmq::sockopt::immediate, 1);
    link->dealer.set(zmq::sockopt::linger, 0);
    link->dealer.set(zmq::sockopt::sndhwm, 0); // bounded by the routes' capacity instead
    const int heartbeat_ms = int(config.heartbeat_interval.count());
    link->dealer.set(zmq::sockopt::heartbeat_ivl, heartbeat_ms);
    link->dealer.set(zmq::sockopt::heartbeat_timeout, heartbeat_ms * config.heartbeat_liveness);
    const std::string monitor_address = unique_monitor_address();
    if (zmq_socket_monitor(link->dealer.handle(), monitor_address.c_str(),
                           ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED) != 0)
        throw zmq::error_t();
    link->monitor.set(zmq::sockopt::linger, 0);
    link->monitor.connect(monitor_address);
    // A client of the peer's server key when the link speaks CURVE: the peer's ROUTER takes
    // us for one of its clients, so our public certificate must be in its allow-list.
    attach(link->dealer, endpoint_list_t{peer}, options);
    broker_->add_link(link->id, link->label, steady::now());
    peer_links_.push_back(std::move(link));
}

void broker_server_t::drain_link_monitor(peer_link_t& link) {
    while (true) {
        zmq::message_t event, address;
        if (!link.monitor.recv(event, zmq::recv_flags::dontwait)) return;
        if (event.more()) (void)link.monitor.recv(address, zmq::recv_flags::dontwait);
        if (event.size() < 2) continue;
        std::uint16_t what = 0;
        std::memcpy(&what, event.data(), sizeof what);
        const auto now = steady::now();
        if (what == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            broker_->on_link_connected(link.id, now);
        else if (what == ZMQ_EVENT_DISCONNECTED)
            broker_->on_link_disconnected(link.id, now);
    }
}

// What the peer sends on a link we opened: handed to the broker with the link's id first,
// as the ROUTER would put a routing id.
void broker_server_t::receive_from_link(peer_link_t& link) {
    received_t& message = burst_[0];
    for (std::size_t count = 0; count < burst_messages; ++count) {
        message.frames.clear();
        message.frames.emplace_back(link.id.data(), link.id.size());
        std::vector<zmq::message_t>& rest = link_frames_;
        const auto got = zd::receive_message(link.dealer, rest, max_frames_, &bytes_in_);
        if (got == received::nothing) return;
        ++messages_in_;
        const auto now = steady::now();
        if (got == received::too_long) {
            broker_->on_invalid_message(link.id, now);
            continue;
        }
        for (auto& frame : rest)
            message.frames.push_back(std::move(frame));
        broker_->on_message(message.frames, connection_t{}, now);
    }
}

const endpoint_list_t& broker_server_t::control_endpoints() const {
    static const endpoint_list_t none;
    return control_ ? control_->endpoints() : none;
}

connection_t broker_server_t::connection_of(int fd) {
    if (fd < 0) return {};
    auto found = inode_of_fd_.find(fd);
    if (found == inode_of_fd_.end()) found = inode_of_fd_.emplace(fd, inode_of(fd)).first;
    return connection_t{fd, found->second};
}

void broker_server_t::drain_monitor(steady::time_point now) {
    while (true) {
        zmq::message_t event, address;
        if (!monitor_.recv(event, zmq::recv_flags::dontwait)) return;
        if (event.more()) (void)monitor_.recv(address, zmq::recv_flags::dontwait);
        peer_event_t peer;
        if (!decode_peer_event(event, address, 0, peer)) continue;
        peers_.record(peer);
        events::emit_peer(peer, "endpoint");
        if (peer.kind != peer_event_t::kind_t::connected &&
            peer.kind != peer_event_t::kind_t::disconnected)
            continue;
        const int fd = int(peer.id);
        if (peer.kind == peer_event_t::kind_t::disconnected) {
            auto found = inode_of_fd_.find(fd);
            if (found == inode_of_fd_.end()) continue;
            const connection_t closed{fd, found->second};
            inode_of_fd_.erase(found);
            broker_->on_connection_closed(closed, now);
        } else { // accepted or connected: a new connection on this descriptor
            inode_of_fd_[fd] = inode_of(fd);
        }
    }
}

// Receives one whole message into message.frames. Returns false if none is waiting. A
// message of more than max_frames frames is dropped, its routing id kept (too_long).
bool broker_server_t::receive_message(received_t& message) {
    const auto got = zd::receive_message(router_, message.frames, max_frames_, &bytes_in_);
    message.too_long = got == received::too_long;
    return got != received::nothing;
}

// Reads what is waiting (up to a burst), then handles it. Handling a message sends at once,
// and every send can wake libzmq's I/O thread; with the reading done first the sends of a
// burst follow each other closely, and the I/O thread finds several to write per wake-up.
void broker_server_t::receive_burst() {
    for (int round = 0; round < rounds_per_poll; ++round) {
        std::size_t count = 0, frames = 0;
        while (count < burst_.size() && frames < max_burst_frames && receive_message(burst_[count]))
            frames += burst_[count++].frames.size();
        for (std::size_t i = 0; i < count; ++i)
            handle(burst_[i]);
        if (count < burst_.size() && frames < max_burst_frames) return; // all read
    }
}

void broker_server_t::handle(received_t& message) {
    ++messages_in_;
    const auto now = steady::now();
    const std::uint64_t errors_before = broker_->counters().protocol_errors;
    if (message.too_long) {
        broker_->on_invalid_message(message.frames[0].to_string_view(), now);
    } else {
        handle_valid_length(message, now);
    }
    // Counted by the broker (STATS protocol_errors); logged here, rate-limited.
    if (broker_->counters().protocol_errors != errors_before)
        protocol_error_log_.report(std::to_string(message.frames.size()) + " frames, " +
                                   std::to_string(broker_->counters().protocol_errors) +
                                   " in all (STATS protocol_errors)");
}

void broker_server_t::handle_valid_length(received_t& message, steady::time_point now) {
    if (reads_identity_) { // the last frame came from the peer; the routing id has no properties
        const peer_identity_t sender = identity_reader_.read(message.frames.back());
        identities_.count(sender.user_id, sender.name);
    }
    // The broker asks for a peer's connection only when it first hears from the peer.
    // Events written before this message are visible now: they are applied first, so that
    // a descriptor reused by a new connection is not mistaken for the old one. (Draining an
    // empty monitor costs libzmq two system calls, and reading a message's descriptor a
    // metadata lookup and a number parse: for every message that cost more than all of the
    // broker's own work per request.)
    broker_->on_message(
        message.frames,
        [this, &message, now] {
            const int fd = zmq_msg_get(message.frames.back().handle(), source_fd_property);
            drain_monitor(now);
            return connection_of(fd);
        },
        now);
}

statistics_t broker_server_t::statistics() const {
    // The steerable-proxy shape, with the ROUTER as the only socket.
    return {.frontend_messages_in = messages_in_,
            .frontend_bytes_in = bytes_in_,
            .frontend_messages_out = outbox_->messages_out};
}

std::string broker_server_t::stats_json() const {
    json_writer_t json;
    json.begin_object();
    write_stats_header(json, "zd-broker", loop_ ? loop_->uptime_ms() : 0,
                       loop_ && loop_->paused() ? "paused" : "running");
    json.key("endpoints").begin_array();
    for (const auto& endpoint : endpoints_)
        json.value(endpoint.to_string());
    json.end_array();
    peers_.write_json(json);
    json.key("messages_in").value(messages_in_).key("bytes_in").value(bytes_in_);
    json.key("messages_out").value(outbox_->messages_out);
    json.key("identities"); // messages per authenticated peer (docs/SECURITY.md, "Identity")
    identities_.write_json(json);
    json.key("broker").raw(broker_->stats_json());
    json.end_object();
    return json.str();
}

bool broker_server_t::run(stop_signal_t& stop) {
    poll_loop_t loop(stop, control_ ? &*control_ : nullptr,
                     {[this] { return statistics(); }, [this] { return stats_json(); }});
    loop_ = &loop;
    // Connection events first: a descriptor reused by a new connection is then not taken
    // for the old one (handle() also drains them before it looks a new peer up).
    loop.add(monitor_, ZMQ_POLLIN, [this] { drain_monitor(steady::now()); });
    loop.add(
        router_, ZMQ_POLLIN, [this] { receive_burst(); }, poll_loop_t::on_pause::stop);
    for (auto& link : peer_links_) {
        peer_link_t* each = link.get();
        loop.add(each->monitor, ZMQ_POLLIN, [this, each] { drain_link_monitor(*each); });
        loop.add(
            each->dealer, ZMQ_POLLIN, [this, each] { receive_from_link(*each); },
            poll_loop_t::on_pause::stop);
    }
    loop.set_deadline([this] { return broker_->next_timer(); });
    loop.set_after_turn([this] {
        const auto now = steady::now();
        if (now >= broker_->next_timer()) broker_->on_timer(now);
    });
    const bool terminated = loop.run() == loop_exit::terminate;
    loop_ = nullptr;
    return terminated;
}

} // namespace zd::mdp
