// What broker_t holds, private to its files (broker.cpp, broker_queues.cpp,
// broker_output.cpp): its peers, requests and services, linked into intrusive lists so
// every step of the protocol is O(1). Nothing outside lib/mdp/broker*.cpp includes this.
#pragma once

#include "mdp/broker.hpp"

#include <unordered_set>

namespace zd::mdp {

// Tags naming the intrusive lists an object is on.
struct in_service_queue {};
struct of_client {};
struct idle_workers {};
struct at_worker {};
struct on_connection {};

constexpr std::string_view mmi_prefix = "mmi.";

// What a request whose body is frames[first_body...] counts against max_queue_bytes.
inline std::size_t request_bytes(const std::vector<zmq::message_t>& frames,
                                 std::size_t first_body) {
    std::size_t body_bytes = 0;
    for (std::size_t i = first_body; i < frames.size(); ++i)
        body_bytes += frames[i].size();
    return queued_request_bytes(frames.size() - first_body, body_bytes);
}

enum class peer_role : std::uint8_t { client, worker, link };

// A client, a worker or a peer broker's link, linked into the list of peers on its connection.
struct broker_t::peer_t : list_hook_t<on_connection> {
    std::string id;
    connection_t connection;
    peer_role role = peer_role::client;
};

struct broker_t::connection_peers_t {
    intrusive_list_t<peer_t, on_connection> peers;
};

struct broker_t::request_t : list_hook_t<in_service_queue>,
                             list_hook_t<of_client>,
                             list_hook_t<at_worker> {
    client_t* client = nullptr;
    service_t* service = nullptr;
    worker_t* worker = nullptr;       // while in flight
    std::vector<zmq::message_t> body; // kept until the final reply, for re-dispatch
    time_point_t deadline{};          // expires if still queued then
    int retries = 0;
    std::size_t bytes = 0; // counted against max_queue_bytes while queued
    // Only for requests that came from, or went to, a peer broker (kept apart so that a
    // plain request stays within queued_request_overhead).
    std::unique_ptr<federated_t> federation;
};

// What a request carries across brokers.
struct broker_t::federated_t {
    link_t* link = nullptr;      // while in flight at a peer broker (then id names it there)
    std::uint64_t id = 0;        // our id for it on that link
    std::uint64_t remote_id = 0; // from a peer: the id its broker gave it
    std::string path;            // from a peer: the brokers it passed (peering.hpp)
};

struct broker_t::client_t : peer_t {
    version protocol = version::v01;
    bool leading_empty = true;
    bool via_link = false;  // a peer broker's requests: replies go back as peering REPLY
    link_t* link = nullptr; // that link, while it is up (null once it went down)
    // Once the link went down the client is renamed (detach_link_client); workers holding its
    // requests still know it by its first id, the first id_size bytes. 0: not renamed.
    std::size_t id_size = 0;
    intrusive_list_t<request_t, of_client> requests; // queued and in flight

    // The name workers were given for it.
    std::string_view worker_name() const {
        return id_size == 0 ? std::string_view(id) : std::string_view(id).substr(0, id_size);
    }
    // A peer broker's client whose link went down: what it asked for is served elsewhere.
    bool detached() const { return via_link && !link; }
};

struct broker_t::worker_t : peer_t, list_hook_t<idle_workers> {
    version protocol = version::v01;
    bool leading_empty = true;
    service_t* service = nullptr;
    // What it holds, oldest first: one request under MDP's rule, up to worker_credit when
    // pipelined. A worker serves them in order, so a reply is almost always for the first.
    intrusive_list_t<request_t, at_worker> requests;
    time_point_t expires_at{};
    time_point_t heartbeat_due{};
};

// A way to a service through a peer broker, as that broker advertised it.
struct broker_t::route_t {
    link_t* link = nullptr;
    std::string path;           // broker ids, the link's broker first, the serving one last
    std::uint32_t capacity = 0; // requests it takes at once from us
    std::uint32_t in_flight = 0;
};

struct broker_t::service_t {
    std::string name;
    // Requests waiting for a worker, oldest first (a dead worker's go back to the front).
    // Changed only through the four functions below, which keep queued_bytes in step.
    intrusive_list_t<request_t, in_service_queue> queue;
    std::size_t queued_bytes = 0;
    // Workers that can take another request (they hold fewer than worker_credit), least
    // recently used first. With a credit of 1 these are exactly the idle workers.
    intrusive_list_t<worker_t, idle_workers> idle;
    std::size_t workers = 0;
    std::size_t in_flight = 0;
    time_point_t idle_since{};
    std::uint64_t served = 0, expired = 0, retried = 0, failed = 0, rejected = 0;
    std::uint64_t forwarded = 0; // sent to peer brokers
    refusals_t refusals;
    std::vector<route_t> routes; // through peer brokers, one per link at most
    bool dirty = false;          // on dirty_: its advertisement may have changed

    void queue_back(request_t* request) {
        queue.push_back(request);
        queued_bytes += request->bytes;
    }
    void queue_front(request_t* request) {
        queue.push_front(request);
        queued_bytes += request->bytes;
    }
    request_t* take_front() {
        request_t* request = queue.pop_front();
        if (request) queued_bytes -= request->bytes;
        return request;
    }
    void unqueue(request_t* request) {
        queue.erase(request);
        queued_bytes -= request->bytes;
    }
};

// A link to a peer broker: one connection, opened by us (--peer, a DEALER) or by it.
struct broker_t::link_t : peer_t {
    std::string label; // the endpoint for links we opened, "accepted #N" for the others
    bool initiated = false;
    bool up = false;     // HELLO exchanged
    bool active = false; // the one link of its broker that carries our requests
    bool failed = false; // a send failed: settle() takes it down
    bool self = false;   // it leads back to this broker (refused, logged once)
    std::string broker_id, name;
    time_point_t expires_at{}, heartbeat_due{};
    intrusive_list_t<request_t, at_worker> requests; // forwarded over it, in flight
    std::unordered_map<std::uint64_t, request_t*> by_id;
    std::unordered_set<std::string> routed;                  // services it has a route for
    std::unordered_map<std::string, std::string> advertised; // what it was told, per service
    // Services we refused it a request for: it dropped our route, so we advertise them again
    // with the next heartbeat (a passing overload must not cost the route for good).
    std::unordered_set<std::string> refused_services;
    std::uint64_t forwarded = 0, served = 0, refused = 0; // our requests sent / answered / refused
    std::uint64_t requests_in = 0;                        // its requests received

    // Whether our requests and its routes may use it now.
    bool usable() const { return up && active && !failed; }
};

} // namespace zd::mdp
