#include "mdp/broker.hpp"

#include "base/json_writer.hpp"

#include <algorithm>
#include <stdexcept>

namespace zd::mdp {

namespace {
struct in_service_queue {};
struct of_client {};
struct idle_workers {};
struct at_worker {};
struct on_connection {};

constexpr std::string_view mmi_prefix = "mmi.";
} // namespace

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

broker_t::broker_t(const broker_config_t& config, outbox_t& outbox)
    : config_(config), outbox_(outbox) {
    // What queued_request_overhead stands for: the request and its body's frame array, each a
    // heap block (malloc adds up to 16 bytes to each).
    static_assert(sizeof(request_t) + 2 * 16 <= queued_request_overhead);
    static_assert(sizeof(zmq::message_t) <= queued_frame_overhead);
    if (config.heartbeat_interval.count() <= 0)
        throw std::invalid_argument("heartbeat interval must be positive");
    if (config.heartbeat_liveness < 1)
        throw std::invalid_argument("heartbeat liveness must be at least 1");
    if (config.request_timeout.count() <= 0)
        throw std::invalid_argument("request timeout must be positive");
    if (config.max_retries < 0) throw std::invalid_argument("max retries cannot be negative");
    if (config.max_services == 0) throw std::invalid_argument("max services must be at least 1");
    if (config.max_queue_bytes < queued_request_bytes(1, 0))
        throw std::invalid_argument("max queue bytes must be at least " +
                                    std::to_string(queued_request_bytes(1, 0)) +
                                    " (one request of one empty frame)");
    if (config.refusal_report_interval.count() <= 0)
        throw std::invalid_argument("refusal report interval must be positive");
    if (config.max_frames < 8) // the longest MDP command without a body has 6
        throw std::invalid_argument("max frames must be at least 8");
    if (config.worker_credit < 1 || config.worker_credit > max_worker_credit)
        throw std::invalid_argument("worker credit must be between 1 and " +
                                    std::to_string(max_worker_credit));
    next_timer_ = clock_t_::now() + config.heartbeat_interval;
}

broker_t::~broker_t() {
    // Requests are owned by raw pointers in intrusive lists: unlink them from their clients
    // first (clear() writes into the hooks), then free each exactly once.
    for (auto& [id, client] : clients_)
        client->requests.clear();
    for (auto& [name, service] : services_) {
        while (request_t* request = service->queue.pop_front())
            delete request;
        service->idle.clear();
    }
    for (auto& [id, worker] : workers_)
        while (request_t* request = worker->requests.pop_front())
            delete request;
    for (auto& [fd, peers] : peers_by_fd_)
        peers->peers.clear();
}

// ---------------------------------------------------------------------------------------
// Incoming messages

void broker_t::on_message(std::vector<zmq::message_t>& frames, connection_t from,
                          time_point_t now) {
    on_message(
        frames, [from] { return from; }, now);
}

void broker_t::on_message(std::vector<zmq::message_t>& frames,
                          const connection_lookup_t& connection_of, time_point_t now) {
    constexpr std::size_t max_views = 64;
    std::string_view views[max_views];
    const std::size_t count = std::min(frames.size(), max_views);
    for (std::size_t i = 0; i < count; ++i)
        views[i] = frames[i].to_string_view();
    // Messages of more than 64 frames are never valid MDP commands except as long bodies;
    // the header is within the first frames, and bodies are not inspected.
    decoded_t decoded = decode(views, count);
    if (decoded.ok() && count < frames.size()) {
        const command what = decoded.message.what;
        const bool has_body = what == command::request || what == command::reply ||
                              what == command::partial || what == command::worker_request;
        if (!has_body) decoded.error = decode_error::extra_frames;
    }
    if (!decoded.ok()) {
        on_invalid_message(frames.empty() ? std::string_view() : frames[0].to_string_view(), now);
        return;
    }
    // A peer's connection matters only when the peer is new: a client's first request, a
    // worker's READY. Looked up before anything changes, since the lookup may report closed
    // connections.
    const std::string_view sender = frames[0].to_string_view();
    if (decoded.message.peer == peer_kind::client) {
        const auto known = clients_.find(sender);
        client_t* client = known == clients_.end() ? nullptr : known->second.get();
        handle_request(frames, decoded.message, client, client ? connection_t{} : connection_of(),
                       now);
        return;
    }
    const bool new_worker =
        decoded.message.what == command::ready && workers_.find(sender) == workers_.end();
    handle_worker(frames, decoded.message, new_worker ? connection_of() : connection_t{}, now);
}

void broker_t::on_invalid_message(std::string_view sender, time_point_t now) {
    ++counters_.protocol_errors;
    // The peer is treated as invalid: a known worker is disconnected and removed.
    auto found = workers_.find(sender);
    if (found == workers_.end()) return;
    worker_t& worker = *found->second;
    send_to_worker_command(worker.id, worker.protocol, worker.leading_empty,
                           worker_disconnect_byte(worker.protocol));
    ++counters_.disconnects_sent;
    remove_worker(worker, now);
}

// known_client: the sender, if the broker already has it; else from is its connection.
void broker_t::handle_request(std::vector<zmq::message_t>& frames, const incoming_t& message,
                              client_t* known_client, connection_t from, time_point_t now) {
    ++counters_.requests;
    const std::string_view service_name = frames[message.service].to_string_view();
    if (service_name.starts_with(mmi_prefix)) {
        handle_mmi(frames, message);
        return;
    }
    service_t* service = find_or_create_service(service_name, now);
    if (!service) {
        ++counters_.rejected;
        refuse(nullptr, service_name, queue_limit::services, now);
        return;
    }
    std::size_t body_bytes = 0;
    for (std::size_t i = message.body; i < frames.size(); ++i)
        body_bytes += frames[i].size();
    const std::size_t bytes = queued_request_bytes(frames.size() - message.body, body_bytes);
    // The limits bound what waits: a request that finds a worker with credit does not queue.
    // (With such a worker the queue is empty, so only a request larger than max_queue_bytes
    // by itself gets through here and nowhere else.)
    if (service->idle.empty()) {
        const bool over_count =
            config_.max_queue != 0 && service->queue.size() >= config_.max_queue;
        if (over_count || service->queued_bytes + bytes > config_.max_queue_bytes) {
            ++service->rejected;
            ++counters_.rejected;
            refuse(service, service_name, over_count ? queue_limit::requests : queue_limit::bytes,
                   now);
            return;
        }
    }
    client_t& client =
        known_client ? *known_client : add_client(frames[0].to_string_view(), message, from);
    auto* request = new request_t;
    request->client = &client;
    request->service = service;
    request->deadline = now + config_.request_timeout;
    request->bytes = bytes;
    request->body.reserve(frames.size() - message.body);
    for (std::size_t i = message.body; i < frames.size(); ++i)
        request->body.push_back(std::move(frames[i]));
    client.requests.push_back(request);
    service->queue_back(request);
    dispatch_pending(*service, now);
}

void broker_t::handle_mmi(std::vector<zmq::message_t>& frames, const incoming_t& message) {
    const std::string_view id = frames[0].to_string_view();
    const std::string service_name(frames[message.service].to_string_view());
    std::vector<zmq::message_t> answer;
    if (service_name == "mmi.service") {
        const auto found = services_.find(frames[message.body].to_string_view());
        const bool available = found != services_.end() && found->second->workers > 0;
        answer.emplace_back(std::string_view(available ? "200" : "404"));
    } else if (service_name == "mmi.services") {
        json_writer_t json;
        json.begin_object();
        for (const auto& [name, service] : services_) {
            json.key(name)
                .begin_object()
                .key("workers")
                .value(std::uint64_t(service->workers))
                .key("idle")
                .value(std::uint64_t(service->idle.size()))
                .key("queued")
                .value(std::uint64_t(service->queue.size()))
                .key("in_flight")
                .value(std::uint64_t(service->in_flight))
                .end_object();
        }
        json.end_object();
        answer.emplace_back(json.str());
    } else if (service_name == "mmi.stats") {
        answer.emplace_back(stats_json());
    } else {
        answer.emplace_back(std::string_view("501"));
    }
    if (send_to_client(id, message.protocol, message.leading_empty, client_final_byte, service_name,
                       answer, 0))
        ++counters_.replies;
    else
        ++counters_.unroutable_replies;
}

void broker_t::handle_worker(std::vector<zmq::message_t>& frames, const incoming_t& message,
                             connection_t from, time_point_t now) {
    const std::string_view id = frames[0].to_string_view();
    auto found = workers_.find(id);
    worker_t* worker = found == workers_.end() ? nullptr : found->second.get();
    if (worker) {
        // Any command is a sign of life.
        worker->expires_at = now + config_.heartbeat_interval * config_.heartbeat_liveness;
    }
    switch (message.what) {
    case command::ready:
        if (worker) { // READY twice: a protocol violation
            disconnect_worker(id, message, now);
            return;
        }
        handle_ready(id, frames, message, from, now);
        return;
    case command::reply:
    case command::partial:
        if (!worker || worker->requests.empty()) { // a reply nobody asked for
            disconnect_worker(id, message, now);
            return;
        }
        handle_reply(*worker, frames, message, now);
        return;
    case command::heartbeat:
        if (!worker) disconnect_worker(id, message, now);
        return;
    case command::disconnect:
        if (worker) remove_worker(*worker, now);
        return;
    case command::worker_request:
    case command::request:
        disconnect_worker(id, message, now);
        return;
    }
}

void broker_t::handle_ready(std::string_view id, const std::vector<zmq::message_t>& frames,
                            const incoming_t& message, connection_t from, time_point_t now) {
    const std::string_view service_name = frames[message.service].to_string_view();
    service_t* service =
        service_name.starts_with(mmi_prefix) ? nullptr : find_or_create_service(service_name, now);
    if (!service) { // mmi.* belongs to the broker; or too many services
        send_to_worker_command(id, message.protocol, message.leading_empty,
                               worker_disconnect_byte(message.protocol));
        ++counters_.disconnects_sent;
        return;
    }
    auto worker = std::make_unique<worker_t>();
    worker->id = std::string(id);
    worker->is_worker = true;
    worker->protocol = message.protocol;
    worker->leading_empty = message.leading_empty;
    worker->service = service;
    worker->expires_at = now + config_.heartbeat_interval * config_.heartbeat_liveness;
    worker->heartbeat_due = now + config_.heartbeat_interval;
    worker_t& added = *worker;
    workers_.emplace(worker->id, std::move(worker));
    track_connection(added, from);
    ++service->workers;
    service->idle.push_back(&added);
    dispatch_pending(*service, now);
}

void broker_t::handle_reply(worker_t& worker, std::vector<zmq::message_t>& frames,
                            const incoming_t& message, time_point_t now) {
    request_t* answered = find_in_flight(worker, frames[message.client].to_string_view());
    if (!answered) {
        // The worker answers for someone it was not asked by: it is broken.
        ++counters_.protocol_errors;
        disconnect_worker(worker.id, message, now);
        return;
    }
    request_t& request = *answered;
    client_t& client = *request.client;
    service_t& service = *worker.service;
    const bool final_reply = message.what == command::reply;
    if (!final_reply && client.protocol == version::v01) {
        ++counters_.dropped_partials; // 0.1 has one reply per request
        return;
    }
    const bool delivered = send_to_client(client.id, client.protocol, client.leading_empty,
                                          final_reply ? client_final_byte : client_partial_byte,
                                          service.name, frames, message.body);
    if (!delivered)
        ++counters_.unroutable_replies;
    else if (final_reply)
        ++counters_.replies;
    else
        ++counters_.partials;
    if (!final_reply) return;

    ++service.served;
    --service.in_flight;
    worker.requests.erase(&request);
    request.worker = nullptr;
    finish(request, now);
    worker.heartbeat_due = now + config_.heartbeat_interval;
    // A worker that still had credit keeps its place in line.
    if (!static_cast<list_hook_t<idle_workers>&>(worker).linked()) service.idle.push_back(&worker);
    dispatch_pending(service, now);
}

broker_t::request_t* broker_t::find_in_flight(worker_t& worker, std::string_view client_id) {
    // A client may have several requests at one worker; they are answered in order, so the
    // first one of that client's is the one answered.
    for (request_t* request = worker.requests.front(); request;
         request = worker.requests.next(request))
        if (request->client->id == client_id) return request;
    return nullptr;
}

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

void broker_t::dispatch_pending(service_t& service, time_point_t now) {
    while (!service.queue.empty() && !service.idle.empty()) {
        request_t* request = service.take_front();
        worker_t* worker = service.idle.pop_front();
        dispatch(*worker, *request, now);
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
    if (request.retries >= config_.max_retries) {
        ++service.failed;
        ++counters_.failed;
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
    std::vector<std::string> client_ids, worker_ids;
    auto& peers = found->second->peers;
    for (peer_t* peer = peers.front(); peer; peer = peers.next(peer))
        if (peer->connection == connection)
            (peer->is_worker ? worker_ids : client_ids).push_back(peer->id);
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
}

void broker_t::abandon_queued_requests(client_t& client, time_point_t now) {
    // Queued requests are dropped; those in flight finish (their reply is then counted as
    // unroutable), so the worker is not disturbed.
    std::vector<request_t*> queued;
    for (request_t* request = client.requests.front(); request;
         request = client.requests.next(request))
        if (!request->worker) queued.push_back(request);
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
    // Requests: the front of each queue is the oldest.
    std::vector<std::string_view> forgotten;
    for (auto& [name, service] : services_) {
        while (request_t* request = service->queue.front()) {
            if (request->deadline > now) break;
            ++service->expired;
            ++counters_.expired;
            finish(*request, now);
        }
        const bool forget = service->workers == 0 && service->queue.empty() &&
                            service->in_flight == 0 &&
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
}

// ---------------------------------------------------------------------------------------
// Output

void broker_t::send_to_worker_command(std::string_view id, version protocol, bool leading_empty,
                                      std::uint8_t command) {
    out_.clear();
    out_.emplace_back(id.data(), id.size());
    if (leading_empty) out_.emplace_back();
    const std::string_view header = worker_header(protocol);
    out_.emplace_back(header.data(), header.size());
    out_.emplace_back(&command, 1);
    (void)outbox_.send(out_); // a gone worker is noticed by expiry
}

void broker_t::disconnect_worker(std::string_view id, const incoming_t& message, time_point_t now) {
    ++counters_.disconnects_sent;
    auto found = workers_.find(id);
    if (found != workers_.end()) {
        worker_t& worker = *found->second;
        send_to_worker_command(worker.id, worker.protocol, worker.leading_empty,
                               worker_disconnect_byte(worker.protocol));
        remove_worker(worker, now);
    } else {
        send_to_worker_command(id, message.protocol, message.leading_empty,
                               worker_disconnect_byte(message.protocol));
    }
}

bool broker_t::send_to_client(std::string_view id, version protocol, bool leading_empty,
                              std::uint8_t v02_command, std::string_view service,
                              std::vector<zmq::message_t>& body, std::size_t first_body) {
    // 0.1: id "" MDPC01 service body+ ; 0.2: id [""] MDPC02 command service body+
    out_.clear();
    out_.emplace_back(id.data(), id.size());
    if (leading_empty) out_.emplace_back();
    const std::string_view header = client_header(protocol);
    out_.emplace_back(header.data(), header.size());
    if (protocol == version::v02) out_.emplace_back(&v02_command, 1);
    out_.emplace_back(service.data(), service.size());
    for (std::size_t i = first_body; i < body.size(); ++i)
        out_.push_back(std::move(body[i]));
    return outbox_.send(out_);
}

// ---------------------------------------------------------------------------------------
// Statistics

void broker_t::for_each_service(const std::function<void(const service_stats_t&)>& visit) const {
    for (const auto& [name, service] : services_) {
        service_stats_t stats;
        service_stats(name, stats);
        visit(stats);
    }
}

bool broker_t::service_stats(std::string_view name, service_stats_t& stats) const {
    auto found = services_.find(name);
    if (found == services_.end()) return false;
    const service_t& service = *found->second;
    stats = service_stats_t{service.name,     service.queue.size(), service.in_flight,
                            service.workers,  service.idle.size(),  service.served,
                            service.expired,  service.retried,      service.failed,
                            service.rejected, service.queued_bytes};
    return true;
}

std::string broker_t::stats_json() const {
    json_writer_t json;
    json.begin_object()
        .key("clients")
        .value(std::uint64_t(clients_.size()))
        .key("workers")
        .value(std::uint64_t(workers_.size()))
        .key("services_known")
        .value(std::uint64_t(services_.size()))
        .key("requests")
        .value(counters_.requests)
        .key("replies")
        .value(counters_.replies)
        .key("partials")
        .value(counters_.partials)
        .key("dropped_partials")
        .value(counters_.dropped_partials)
        .key("unroutable_replies")
        .value(counters_.unroutable_replies)
        .key("protocol_errors")
        .value(counters_.protocol_errors)
        .key("disconnects_sent")
        .value(counters_.disconnects_sent)
        .key("rejected")
        .value(counters_.rejected)
        .key("expired")
        .value(counters_.expired)
        .key("retried")
        .value(counters_.retried)
        .key("failed")
        .value(counters_.failed)
        .key("abandoned")
        .value(counters_.abandoned)
        .key("workers_expired")
        .value(counters_.workers_expired);
    json.key("services").begin_object();
    for_each_service([&json](const service_stats_t& stats) {
        json.key(stats.name)
            .begin_object()
            .key("queued")
            .value(std::uint64_t(stats.queued))
            .key("queued_bytes")
            .value(std::uint64_t(stats.queued_bytes))
            .key("in_flight")
            .value(std::uint64_t(stats.in_flight))
            .key("workers")
            .value(std::uint64_t(stats.workers))
            .key("idle_workers")
            .value(std::uint64_t(stats.idle_workers))
            .key("served")
            .value(stats.served)
            .key("expired")
            .value(stats.expired)
            .key("retried")
            .value(stats.retried)
            .key("failed")
            .value(stats.failed)
            .key("rejected")
            .value(stats.rejected)
            .end_object();
    });
    json.end_object().end_object();
    return json.str();
}

} // namespace zd::mdp
