// broker_t's queues (broker.hpp): services and their limits, dispatch to workers under
// credit, requeue and expiry, connections that close, and the heartbeat and expiry timers.
#include "mdp/broker_internals.hpp"
#include "mdp/peering.hpp"

#include <algorithm>

namespace zd::mdp {

namespace {
// Queued requests looked at for one that a peer's route can take (see dispatch_pending).
constexpr int max_route_scan = 16;
} // namespace

// ---------------------------------------------------------------------------------------
// Dispatch

broker_t::service_t* broker_t::find_or_create_service(std::string_view name, time_point_t now) {
    auto found = services_.find(name);
    if (found != services_.end()) return found->second.get();
    if (services_.size() >= config_.max_services) return nullptr;
    auto service = std::make_unique<service_t>();
    service->name = std::string(name);
    service->idle_since = now;
    service_t* created = service.get();
    services_.emplace(created->name, std::move(service));
    return created;
}

// Counts a refusal for the report; reports at once if the last report is old enough (the
// first one always is).
void broker_t::refuse(service_t* service, std::string_view name, queue_limit limit,
                      time_point_t now) {
    refusals_t& refusals = service ? service->refusals : services_refusals_;
    ++refusals.unreported;
    refusals.limit = limit;
    if (!service) services_refused_name_.assign(name);
    if (now >= refusals.next_report) report(refusals, name, service, now);
}

void broker_t::report(refusals_t& refusals, std::string_view name, const service_t* service,
                      time_point_t now) {
    const refusal_report_t report{name,
                                  refusals.limit,
                                  refusals.unreported,
                                  !refusals.reported,
                                  service ? service->queue.size() : 0,
                                  service ? service->queued_bytes : 0};
    refusals.unreported = 0;
    refusals.reported = true;
    refusals.next_report = now + config_.refusal_report_interval;
    if (reporter_) reporter_(report);
}

broker_t::client_t& broker_t::add_client(std::string_view id, const incoming_t& message,
                                         connection_t from) {
    auto client = std::make_unique<client_t>();
    client->id = std::string(id);
    client->protocol = message.protocol;
    client->leading_empty = message.leading_empty;
    client_t& added = *client;
    clients_.emplace(client->id, std::move(client));
    track_connection(added, from);
    return added;
}

// Local workers first; when none has credit left, a peer broker's route with room (see
// pick_route). What neither can take waits here, first in first out.
void broker_t::dispatch_pending(service_t& service, time_point_t now) {
    while (!service.queue.empty()) {
        if (!service.idle.empty()) {
            request_t* request = service.take_front();
            worker_t* worker = service.idle.pop_front();
            dispatch(*worker, *request, now);
            continue;
        }
        if (service.routes.empty()) return;
        // The oldest request a route can take. A peer's request waits for our own workers,
        // and a route may not suit a request that passed its brokers: look a little past
        // such requests, so that they do not hold back the ones behind them.
        route_t* route = nullptr;
        request_t* request = service.queue.front();
        for (int looked = 0; request && looked < max_route_scan;
             ++looked, request = service.queue.next(request))
            if ((route = pick_route(service, *request))) break;
        if (!route) return;
        service.unqueue(request);
        // A failed send puts the request back (first in line) and marks the link failed, so
        // that pick_route passes it over from now on.
        (void)forward(*route, *request);
    }
}

// The worker has been taken off the idle list; it goes back to its end if it has credit left.
void broker_t::dispatch(worker_t& worker, request_t& request, time_point_t now) {
    service_t& service = *worker.service;
    worker.requests.push_back(&request);
    request.worker = &worker;
    ++service.in_flight;

    // REQUEST: id [""] header 0x02 client "" body+ ; body frames go as zero-copy references.
    out_.clear();
    out_.emplace_back(worker.id.data(), worker.id.size());
    if (worker.leading_empty) out_.emplace_back();
    const std::string_view header = worker_header(worker.protocol);
    out_.emplace_back(header.data(), header.size());
    const std::uint8_t command = worker_request_byte(worker.protocol);
    out_.emplace_back(&command, 1);
    out_.emplace_back(request.client->id.data(), request.client->id.size());
    out_.emplace_back();
    for (auto& frame : request.body) {
        out_.emplace_back();
        out_.back().copy(frame);
    }
    worker.heartbeat_due = now + config_.heartbeat_interval;
    if (!outbox_.send(out_)) {
        // The worker is gone: this request was never delivered, so this is no retry.
        --service.in_flight;
        worker.requests.erase(&request);
        request.worker = nullptr;
        service.queue_front(&request);
        remove_worker(worker, now);
        return;
    }
    if (worker.requests.size() < config_.worker_credit) service.idle.push_back(&worker);
}

void broker_t::remove_worker(worker_t& worker, time_point_t now) {
    service_t& service = *worker.service;
    if (static_cast<list_hook_t<idle_workers>&>(worker).linked()) service.idle.erase(&worker);
    // Newest first, each to the front of the queue: the oldest ends up first in line.
    std::vector<request_t*> held;
    held.reserve(worker.requests.size());
    while (request_t* request = worker.requests.pop_front())
        held.push_back(request);
    --service.workers;
    if (service.workers == 0) service.idle_since = now;
    mark_dirty(service);
    untrack_connection(worker);
    workers_.erase(worker.id); // destroys the worker
    for (auto request = held.rbegin(); request != held.rend(); ++request) {
        --service.in_flight;
        (*request)->worker = nullptr;
        requeue_or_fail(**request, now);
    }
    dispatch_pending(service, now);
}

void broker_t::requeue_or_fail(request_t& request, time_point_t now) {
    service_t& service = *request.service;
    if (request.client->detached()) { // its broker took it back when the link went down
        ++counters_.abandoned;
        finish(request, now);
        return;
    }
    if (request.retries >= config_.max_retries) {
        ++service.failed;
        ++counters_.failed;
        // A peer's request: its broker holds it as in flight here until told.
        if (const client_t& client = *request.client; client.via_link && client.link)
            send_refuse(*client.link, request.federation->remote_id, service.name,
                        peering::refuse_failed);
        finish(request, now);
        return;
    }
    ++request.retries;
    ++service.retried;
    ++counters_.retried;
    service.queue_front(&request); // first in line: it has waited longest
}

void broker_t::finish(request_t& request, time_point_t now) {
    service_t& service = *request.service;
    if (static_cast<list_hook_t<in_service_queue>&>(request).linked()) service.unqueue(&request);
    client_t& client = *request.client;
    client.requests.erase(&request);
    delete &request;
    // service_ttl counts from the moment the service has nothing left to do.
    if (service.workers == 0 && service.queue.empty() && service.in_flight == 0)
        service.idle_since = now;
    forget_client_if_done(client);
}

void broker_t::forget_client_if_done(client_t& client) {
    if (!client.requests.empty()) return;
    untrack_connection(client);
    clients_.erase(client.id); // destroys the client
}

// ---------------------------------------------------------------------------------------
// Connections, timers

void broker_t::track_connection(peer_t& peer, connection_t connection) {
    peer.connection = connection;
    if (connection.fd < 0) return;
    auto& entry = peers_by_fd_[connection.fd];
    if (!entry) entry = std::make_unique<connection_peers_t>();
    entry->peers.push_back(&peer);
}

void broker_t::untrack_connection(peer_t& peer) {
    if (!static_cast<list_hook_t<on_connection>&>(peer).linked()) return;
    auto found = peers_by_fd_.find(peer.connection.fd);
    if (found == peers_by_fd_.end()) return;
    found->second->peers.erase(&peer);
    if (found->second->peers.empty()) peers_by_fd_.erase(found);
}

void broker_t::on_connection_closed(connection_t connection, time_point_t now) {
    auto found = peers_by_fd_.find(connection.fd);
    if (found == peers_by_fd_.end()) return;
    // Collect ids first, then look each up again: removing one peer can remove others (a
    // failed request forgets its client, a failed dispatch removes another worker).
    std::vector<std::string> client_ids, worker_ids, link_ids;
    auto& peers = found->second->peers;
    for (peer_t* peer = peers.front(); peer; peer = peers.next(peer)) {
        if (!(peer->connection == connection)) continue;
        switch (peer->role) {
        case peer_role::client:
            client_ids.push_back(peer->id);
            break;
        case peer_role::worker:
            worker_ids.push_back(peer->id);
            break;
        case peer_role::link:
            link_ids.push_back(peer->id);
            break;
        }
    }
    for (const std::string& id : link_ids) {
        auto link = links_.find(id);
        if (link != links_.end() && link->second->connection == connection)
            link->second->failed = links_failed_ = true;
    }
    for (const std::string& id : client_ids) {
        auto client = clients_.find(id);
        if (client == clients_.end() || !(client->second->connection == connection)) continue;
        abandon_queued_requests(*client->second, now);
    }
    for (const std::string& id : worker_ids) {
        auto worker = workers_.find(id);
        if (worker == workers_.end() || !(worker->second->connection == connection)) continue;
        remove_worker(*worker->second, now);
    }
    settle(now);
}

void broker_t::abandon_queued_requests(client_t& client, time_point_t now) {
    // Queued requests are dropped; those in flight finish (their reply is then counted as
    // unroutable), so the worker is not disturbed.
    std::vector<request_t*> queued;
    for (request_t* request = client.requests.front(); request;
         request = client.requests.next(request))
        if (static_cast<list_hook_t<in_service_queue>&>(*request).linked())
            queued.push_back(request);
    untrack_connection(client);
    for (request_t* request : queued) {
        ++counters_.abandoned;
        finish(*request, now); // the last one forgets the client
    }
}

void broker_t::on_timer(time_point_t now) {
    // Workers: expire the silent, heartbeat the quiet.
    std::vector<std::string> expired; // ids: removing one worker can remove another
    for (auto& [id, worker] : workers_) {
        if (now >= worker->expires_at) {
            expired.push_back(id);
        } else if (now >= worker->heartbeat_due) {
            send_to_worker_command(worker->id, worker->protocol, worker->leading_empty,
                                   worker_heartbeat_byte(worker->protocol));
            worker->heartbeat_due = now + config_.heartbeat_interval;
        }
    }
    for (const std::string& id : expired) {
        auto worker = workers_.find(id);
        if (worker == workers_.end()) continue;
        ++counters_.workers_expired;
        remove_worker(*worker->second, now);
    }
    link_timers(now);
    // Requests: the front of each queue is the oldest.
    std::vector<std::string_view> forgotten;
    for (auto& [name, service] : services_) {
        while (request_t* request = service->queue.front()) {
            if (request->deadline > now) break;
            ++service->expired;
            ++counters_.expired;
            // A peer broker's request: its broker may still serve it elsewhere.
            if (request->client->link)
                send_refuse(*request->client->link, request->federation->remote_id, name,
                            "expired");
            finish(*request, now);
        }
        const bool forget = service->workers == 0 && service->queue.empty() &&
                            service->in_flight == 0 && service->routes.empty() && !service->dirty &&
                            now - service->idle_since >= config_.service_ttl;
        // Refusals not yet reported are reported when their interval is over, or before the
        // service is forgotten (with it goes the count).
        refusals_t& refusals = service->refusals;
        if (refusals.unreported > 0 && (forget || now >= refusals.next_report))
            report(refusals, name, service.get(), now);
        if (forget) forgotten.push_back(name);
    }
    if (services_refusals_.unreported > 0 && now >= services_refusals_.next_report)
        report(services_refusals_, services_refused_name_, nullptr, now);
    for (std::string_view name : forgotten)
        services_.erase(services_.find(name));
    // A quarter interval keeps heartbeats at most 1.25 intervals apart and expiry timely,
    // for a scan of the workers four times per interval.
    const auto period =
        std::min<clock_t_::duration>(config_.heartbeat_interval, config_.request_timeout) / 4;
    next_timer_ = now + std::max<clock_t_::duration>(period, std::chrono::milliseconds(1));
    for (const auto& [id, link] : links_) // HELLOs not yet answered are said again sooner
        if (link->initiated && !link->up && !link->self)
            next_timer_ = std::min(next_timer_, link->heartbeat_due);
    settle(now);
}

} // namespace zd::mdp
