// The Majordomo broker's logic, without sockets: messages and timer ticks go in, frames go
// out through an outbox. The zd-broker device feeds it from a ROUTER socket; unit tests feed
// it directly with a fake clock.
//
// What it does beyond the reference broker (see docs/BROKER.md):
// - remembers which requests each worker holds; when that worker dies, disconnects or expires,
//   the request goes back to the front of its service's queue (up to max_retries times);
// - bounds everything: bytes (and, opt-in, requests) per service queue, request age, number
//   of services, and reports refused requests (rate-limited) so they are never silent; forgets
//   services with no workers and no requests after service_ttl; drops the queued requests of
//   clients whose connection closed; counts replies to clients that are gone;
// - dispatches in O(1): hash maps and intrusive lists, request bodies kept as zmq messages
//   and sent as zero-copy references.
// Not thread-safe: one thread owns a broker.
#pragma once

#include "mdp/codec.hpp"
#include "mdp/intrusive_list.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>
#include <zmq.hpp>

namespace zd {
class json_writer_t;
}

namespace zd::mdp {

namespace peering {
enum class command : std::uint8_t;
}

using clock_t_ = std::chrono::steady_clock;
using time_point_t = clock_t_::time_point;
using milliseconds_t = std::chrono::milliseconds;

struct broker_config_t {
    milliseconds_t heartbeat_interval{2500}; // HEARTBEAT to workers this often when quiet
    int heartbeat_liveness = 3;              // a worker silent this many intervals is dead
    milliseconds_t request_timeout{60000};   // a queued request older than this expires
    int max_retries = 3;                     // times a request is re-dispatched after its
                                             // worker died; then it fails (dropped, counted)
    std::size_t max_queue = 0;               // queued requests per service; more are refused.
                                             // 0: no count limit (max_queue_bytes bounds it)
    std::size_t max_services = 10000;        // distinct services; requests for more refused
    milliseconds_t service_ttl{60000};       // forget a service idle this long (no workers,
                                             // no requests)
    std::size_t worker_credit = 1;           // requests a worker holds at once: 1 is MDP's
                                             // one at a time; more pipeline requests into a
                                             // worker's socket while it works (opt-in)
    std::size_t max_frames = 1000;           // frames in one message; a longer one is
                                             // dropped whole (the socket side enforces it)

    // Memory the requests queued for one service may hold, as queued_request_bytes() counts
    // it; more are refused. 256 MiB, about a million small requests (see docs/BROKER.md).
    std::size_t max_queue_bytes = std::size_t(256) << 20;
    // Refused requests are reported (refusal_report_t) at most once per service this often.
    milliseconds_t refusal_report_interval{10000};

    // Federation (docs/FEDERATION.md). This broker's id on links to other brokers: 8 bytes,
    // random when empty. Its name, shown to peers in their STATS.
    std::string broker_id;
    std::string broker_name;
    // Broker-to-broker hops a request may take, and so the longest route learned.
    std::size_t max_hops = 3;
};

// What a queued request counts against max_queue_bytes: its body's bytes plus what the broker
// keeps beside them, a fixed cost per request (its bookkeeping) and per frame (a zmq_msg_t,
// which holds a body of up to 33 bytes inline). Counting only the body would let a flood of
// tiny requests hold many times the limit in memory.
constexpr std::size_t queued_request_overhead = 160;
constexpr std::size_t queued_frame_overhead = 64;
constexpr std::size_t queued_request_bytes(std::size_t frames, std::size_t body_bytes) {
    return queued_request_overhead + frames * queued_frame_overhead + body_bytes;
}

// The largest worker_credit accepted: a worker's socket queues what it holds, and a dead
// worker's requests all go back to the queue.
constexpr std::size_t max_worker_credit = 10000;

// Where the broker's output goes. send() takes the frames (routing id first) and returns
// false if the peer is gone or cannot take more (the frames are then dropped).
class outbox_t {
public:
    virtual ~outbox_t() = default;
    virtual bool send(std::vector<zmq::message_t>& frames) = 0;
};

// Identifies the connection a message arrived on, so that a closed connection can be told
// apart from a newer one that reuses the same descriptor number.
struct connection_t {
    int fd = -1;
    std::uint64_t inode = 0;
    bool operator==(const connection_t&) const = default;
};

struct broker_counters_t {
    std::uint64_t requests = 0;           // client requests received (incl. mmi)
    std::uint64_t replies = 0;            // final replies delivered to clients
    std::uint64_t partials = 0;           // partial replies delivered to 0.2 clients
    std::uint64_t dropped_partials = 0;   // partials a 0.1 client cannot take
    std::uint64_t unroutable_replies = 0; // replies to clients that are gone or full
    std::uint64_t protocol_errors = 0;    // invalid messages dropped
    std::uint64_t disconnects_sent = 0;   // DISCONNECTs for unexpected commands
    std::uint64_t rejected = 0;           // refused: queue full or too many services
    std::uint64_t expired = 0;            // queued past request_timeout
    std::uint64_t retried = 0;            // re-dispatched after a worker died
    std::uint64_t failed = 0;             // dropped after max_retries
    std::uint64_t abandoned = 0;          // queued requests of clients that left
    std::uint64_t workers_expired = 0;    // workers removed for missing heartbeats
    // Federation
    std::uint64_t forwarded = 0;          // requests sent to peer brokers
    std::uint64_t peer_requests = 0;      // requests received from peer brokers
    std::uint64_t peer_replies = 0;       // final replies received from peer brokers
    std::uint64_t refused_to_peers = 0;   // peer requests answered REFUSE
    std::uint64_t refused_by_peers = 0;   // our requests a peer answered REFUSE (requeued)
    std::uint64_t stale_peer_replies = 0; // replies for requests no longer at that link
    std::uint64_t peer_errors = 0;        // malformed or unexpected peering messages
    std::uint64_t links_lost = 0;         // peer links gone down (expired, closed, failed)
};

// Which limit refused a request.
enum class queue_limit {
    bytes,    // max_queue_bytes
    requests, // max_queue
    services, // max_services: the request named a new service
};

// A report that requests were refused, for a log line: MDP cannot tell the client, so the
// operator must be. The first refusal of a service is reported at once; later ones are added
// up and reported at most once per refusal_report_interval (by on_timer, or with the next
// refusal after the interval). Refusals for new services past max_services are reported the
// same way, for all such names together.
struct refusal_report_t {
    std::string_view service;  // the service (for services: the last name refused)
    queue_limit limit;         // the limit that refused the last of them
    std::uint64_t refused = 0; // requests refused since the previous report
    bool first = false;        // the first report for this service (or for services)
    std::size_t queued = 0;    // the service's queue at the report (0 for services)
    std::size_t queued_bytes = 0;
};

struct service_stats_t {
    std::string_view name;
    std::size_t queued = 0;
    std::size_t in_flight = 0;
    std::size_t workers = 0;
    std::size_t idle_workers = 0; // can take another request (hold < worker_credit)
    std::uint64_t served = 0;
    std::uint64_t expired = 0;
    std::uint64_t retried = 0;
    std::uint64_t failed = 0;
    std::uint64_t rejected = 0;
    std::size_t queued_bytes = 0; // queued requests' bytes, as max_queue_bytes counts them
};

class broker_t {
public:
    // Throws std::invalid_argument for a nonsensical configuration (zero interval, ...).
    broker_t(const broker_config_t& config, outbox_t& outbox);
    ~broker_t();
    broker_t(const broker_t&) = delete;
    broker_t& operator=(const broker_t&) = delete;

    // Where refusal reports go (see refusal_report_t), from inside on_message and on_timer;
    // the reporter must not throw, nor call the broker's non-const functions. None by default
    // (refusals are still counted in rejected).
    using refusal_reporter_t = std::function<void(const refusal_report_t&)>;
    void set_refusal_reporter(refusal_reporter_t reporter) { reporter_ = std::move(reporter); }

    // One message from the ROUTER: frames[0] is the sender's routing id. Frames may be moved
    // from. Never throws for any content.
    void on_message(std::vector<zmq::message_t>& frames, connection_t from, time_point_t now);
    // The same, for a caller whose connection lookup is costly: the broker records a peer's
    // connection only when it first hears from the peer, and calls connection_of only then,
    // before it handles the message (so connection_of may itself call on_connection_closed).
    using connection_lookup_t = std::function<connection_t()>;
    void on_message(std::vector<zmq::message_t>& frames, const connection_lookup_t& connection_of,
                    time_point_t now);

    // A message that was dropped before it could be decoded (more than max_frames frames),
    // from the peer with this routing id: counted, and a worker that sent it is removed.
    void on_invalid_message(std::string_view sender, time_point_t now);

    // The connection closed (from the socket monitor): its workers are removed (their
    // requests requeued) and its clients' queued requests dropped.
    void on_connection_closed(connection_t connection, time_point_t now);

    // Heartbeats, worker expiry, request expiry, forgetting idle services.
    // Call at next_timer() or later.
    void on_timer(time_point_t now);
    time_point_t next_timer() const { return next_timer_; }

    const broker_counters_t& counters() const { return counters_; }
    std::size_t client_count() const { return clients_.size(); }
    std::size_t worker_count() const { return workers_.size(); }
    std::size_t service_count() const { return services_.size(); }
    // Visits every service's statistics (in no particular order).
    void for_each_service(const std::function<void(const service_stats_t&)>& visit) const;
    // Statistics of one service, if it exists.
    bool service_stats(std::string_view name, service_stats_t& stats) const;

    // One JSON object with the broker's and every service's statistics.
    std::string stats_json() const;

    // Federation: a link this broker opened to a peer broker (zd-broker --peer). Messages
    // the broker sends to it go to the outbox with id as their first frame; what arrives on it
    // comes to on_message with id as frames[0]. id must not be a routing id a ROUTER could
    // give or accept (start it with a zero byte and make it longer than 5 bytes); label is
    // shown in STATS (the peer's endpoint). The broker says HELLO on it until it is answered.
    void add_link(std::string_view id, std::string_view label, time_point_t now);
    // The connection of a link we opened came up (say HELLO at once) or went down (take the
    // link down at once; heartbeats catch what no connection event reports).
    void on_link_connected(std::string_view id, time_point_t now);
    void on_link_disconnected(std::string_view id, time_point_t now);
    const std::string& broker_id() const { return config_.broker_id; }
    std::size_t links_up() const;

private:
    struct service_t;
    struct worker_t;
    struct client_t;
    struct request_t;
    struct peer_t;
    struct link_t;
    struct route_t;
    struct federated_t;
    struct refusals_t {                         // refusal reports, rate-limited
        std::uint64_t unreported = 0;           // refused since the last report
        queue_limit limit = queue_limit::bytes; // of the last refusal
        bool reported = false;                  // a report was made already
        time_point_t next_report{};             // none before this
    };
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const {
            return std::hash<std::string_view>{}(text);
        }
    };
    template <typename T>
    using by_name_t =
        std::unordered_map<std::string, std::unique_ptr<T>, string_hash, std::equal_to<>>;

    void handle_request(std::vector<zmq::message_t>& frames, const incoming_t& message,
                        client_t* known_client, connection_t from, time_point_t now);
    void handle_mmi(std::vector<zmq::message_t>& frames, const incoming_t& message);
    void handle_worker(std::vector<zmq::message_t>& frames, const incoming_t& message,
                       connection_t from, time_point_t now);
    void handle_ready(std::string_view id, const std::vector<zmq::message_t>& frames,
                      const incoming_t& message, connection_t from, time_point_t now);
    void handle_reply(worker_t& worker, std::vector<zmq::message_t>& frames,
                      const incoming_t& message, time_point_t now);

    service_t* find_or_create_service(std::string_view name, time_point_t now);
    void refuse(service_t* service, std::string_view name, queue_limit limit, time_point_t now);
    void report(refusals_t& refusals, std::string_view name, const service_t* service,
                time_point_t now);
    client_t& add_client(std::string_view id, const incoming_t& message, connection_t from);
    void dispatch_pending(service_t& service, time_point_t now);
    void dispatch(worker_t& worker, request_t& request, time_point_t now);
    request_t* find_in_flight(worker_t& worker, std::string_view client_id);
    void remove_worker(worker_t& worker, time_point_t now);
    void requeue_or_fail(request_t& request, time_point_t now);
    void finish(request_t& request, time_point_t now); // unlinks and frees the request
    void forget_client_if_done(client_t& client);
    void abandon_queued_requests(client_t& client, time_point_t now);
    void send_to_worker_command(std::string_view id, version protocol, bool leading_empty,
                                std::uint8_t command);
    void disconnect_worker(std::string_view id, const incoming_t& message, time_point_t now);
    bool send_to_client(std::string_view id, version protocol, bool leading_empty,
                        std::uint8_t v02_command, std::string_view service,
                        std::vector<zmq::message_t>& body, std::size_t first_body);
    void track_connection(peer_t& peer, connection_t connection);
    void untrack_connection(peer_t& peer);
    bool admit(service_t& service, std::string_view name, std::size_t bytes, time_point_t now,
               queue_limit& refused_by);
    request_t& enqueue(client_t& client, service_t& service, std::vector<zmq::message_t>& frames,
                       std::size_t first_body, std::size_t bytes, time_point_t now);
    bool deliver(request_t& request, bool final_reply, std::vector<zmq::message_t>& frames,
                 std::size_t first_body);
    void count_delivery(bool delivered, bool final_reply);

    // Federation (broker_links.cpp, broker_routes.cpp)
    void handle_link_message(std::vector<zmq::message_t>& frames,
                             const connection_lookup_t& connection_of, time_point_t now);
    void handle_hello(link_t& link, std::string_view broker_id, std::string_view name, bool ask,
                      time_point_t now);
    void link_up(link_t& link, std::string_view broker_id, std::string_view name, time_point_t now);
    void link_down(link_t& link, time_point_t now);
    void detach_link_client(link_t& link, time_point_t now);
    void handle_peer_request(link_t& link, std::vector<zmq::message_t>& frames,
                             std::uint64_t remote_id, time_point_t now);
    void handle_peer_reply(link_t& link, std::vector<zmq::message_t>& frames, std::uint64_t id,
                           bool final_reply, time_point_t now);
    void handle_refuse(link_t& link, std::uint64_t id, std::string_view reason, time_point_t now);
    bool forward(route_t& route, request_t& request);
    void take_back_from_link(request_t& request);
    void link_timers(time_point_t now);
    void settle(time_point_t now);
    milliseconds_t hello_interval() const;
    bool send_to_link(link_t& link, std::vector<zmq::message_t>& frames);
    void start_link_message(std::vector<zmq::message_t>& frames, const link_t& link,
                            peering::command what);
    void send_hello(link_t& link, bool ask);
    void readvertise_refused(link_t& link);
    void send_refuse(link_t& link, std::uint64_t remote_id, std::string_view service,
                     std::string_view reason);

    void handle_route(link_t& link, const std::vector<std::string_view>& views, time_point_t now);
    void handle_withdraw(link_t& link, const std::vector<std::string_view>& views);
    void set_route(service_t& service, link_t& link, std::string_view path, std::uint32_t capacity);
    void remove_route(service_t& service, link_t& link);
    bool route_allowed(const route_t& route, std::string_view visited) const;
    bool can_forward(const service_t& service, std::string_view visited) const;
    bool has_usable_route(const service_t& service) const;
    route_t* pick_route(service_t& service, const request_t& request);
    void mark_dirty(service_t& service);
    std::string advertisement_for(const service_t& service, const link_t& link) const;
    void advertise(link_t& link, const std::vector<std::string>& names);
    void flush_advertisements(time_point_t now);
    void refuse_stranded(service_t& service, time_point_t now);
    void refresh_active(const std::string& broker_id, time_point_t now);
    void write_routes(json_writer_t& json, const service_t& service) const;
    void write_links(json_writer_t& json) const;

    broker_config_t config_;
    outbox_t& outbox_;
    broker_counters_t counters_;
    by_name_t<service_t> services_;
    by_name_t<worker_t> workers_;
    by_name_t<client_t> clients_;
    struct connection_peers_t;
    std::unordered_map<int, std::unique_ptr<connection_peers_t>> peers_by_fd_;
    std::vector<zmq::message_t> out_; // reused for every outgoing message
    time_point_t next_timer_{};
    refusal_reporter_t reporter_;
    refusals_t services_refusals_;      // requests for new services past max_services
    std::string services_refused_name_; // the last of them

    // Federation
    by_name_t<link_t> links_;                                        // by link id
    std::unordered_map<std::string, std::vector<link_t*>> links_of_; // up links by broker id
    std::vector<std::string> dirty_;           // services whose advertisement may have changed
    std::vector<std::string_view> link_views_; // reused for decoding peering messages
    std::uint64_t next_request_id_ = 0;
    bool links_failed_ = false; // a link failed a send: settle() takes it down
    std::uint64_t detached_clients_ = 0;
    std::uint64_t accepted_links_ = 0; // numbers their labels, "accepted #N"
};

} // namespace zd::mdp
