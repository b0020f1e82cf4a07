// What broker_t holds, private to its files (broker.cpp, broker_queues.cpp,
// broker_output.cpp): its peers, requests and services, linked into intrusive lists so
// every step of the protocol is O(1). Nothing outside lib/mdp/broker*.cpp includes this.
#pragma once

#include "mdp/broker.hpp"

namespace zd::mdp {

// Tags naming the intrusive lists an object is on.
struct in_service_queue {};
struct of_client {};
struct idle_workers {};
struct at_worker {};
struct on_connection {};

constexpr std::string_view mmi_prefix = "mmi.";

// A client or a worker, linked into the list of peers on its connection.
struct broker_t::peer_t : list_hook_t<on_connection> {
    std::string id;
    connection_t connection;
    bool is_worker = false;
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
};

struct broker_t::client_t : peer_t {
    version protocol = version::v01;
    bool leading_empty = true;
    intrusive_list_t<request_t, of_client> requests; // queued and in flight
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
    refusals_t refusals;

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

} // namespace zd::mdp
