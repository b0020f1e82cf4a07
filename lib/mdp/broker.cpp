// broker_t (broker.hpp): construction and the incoming messages, clients' and workers'.
// Queues, dispatch, connections and timers are in broker_queues.cpp; what the broker sends
// and its statistics in broker_output.cpp.
#include "mdp/broker.hpp"
#include "mdp/broker_internals.hpp"

#include "base/json_writer.hpp"

#include "mdp/peering.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>

namespace zd::mdp {

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
    if (config_.broker_id.empty()) {
        std::random_device random;
        const std::uint64_t id = std::uint64_t(random()) << 32 | random();
        config_.broker_id = peering::encode_u64(id);
    }
    if (config_.broker_id.size() != peering::broker_id_size)
        throw std::invalid_argument("broker id must be 8 bytes");
    if (config_.broker_name.empty()) config_.broker_name = peering::hex_id(config_.broker_id);
    if (config_.broker_name.size() > peering::max_name)
        throw std::invalid_argument("broker name must be at most 255 bytes");
    if (config_.max_hops < 1 || config_.max_hops > peering::max_path_brokers)
        throw std::invalid_argument("max hops must be between 1 and " +
                                    std::to_string(peering::max_path_brokers));
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
    for (auto& [id, link] : links_)
        while (request_t* request = link->requests.pop_front())
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
    // Peer brokers speak their own protocol on the same socket (lib/mdp/peering.hpp).
    if (frames.size() >= 2 && frames[1].to_string_view() == peering::header) {
        handle_link_message(frames, connection_of, now);
        settle(now);
        return;
    }
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
    if (!links_.empty() && links_.find(sender) != links_.end()) {
        ++counters_.peer_errors; // a peer broker's link speaks peering only
        return;
    }
    if (decoded.message.peer == peer_kind::client) {
        const auto known = clients_.find(sender);
        client_t* client = known == clients_.end() ? nullptr : known->second.get();
        handle_request(frames, decoded.message, client, client ? connection_t{} : connection_of(),
                       now);
        settle(now); // a link that failed a send goes down now, not at the next step
        return;
    }
    const bool new_worker =
        decoded.message.what == command::ready && workers_.find(sender) == workers_.end();
    handle_worker(frames, decoded.message, new_worker ? connection_of() : connection_t{}, now);
    settle(now);
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
    settle(now); // peers hear of the withdrawal now, not at the next step
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
    const std::size_t bytes = request_bytes(frames, message.body);
    queue_limit refused_by = queue_limit::bytes;
    if (!admit(*service, service_name, bytes, now, refused_by)) return;
    client_t& client =
        known_client ? *known_client : add_client(frames[0].to_string_view(), message, from);
    enqueue(client, *service, frames, message.body, bytes, now);
    dispatch_pending(*service, now);
}

// Whether a request of bytes may wait for service; if not it is counted and reported.
// The limits bound what waits: a request that finds a worker with credit does not queue.
// (With such a worker the queue is empty, so only a request larger than max_queue_bytes
// by itself gets through here and nowhere else.)
bool broker_t::admit(service_t& service, std::string_view name, std::size_t bytes, time_point_t now,
                     queue_limit& refused_by) {
    if (!service.idle.empty()) return true;
    const bool over_count = config_.max_queue != 0 && service.queue.size() >= config_.max_queue;
    if (!over_count && service.queued_bytes + bytes <= config_.max_queue_bytes) return true;
    ++service.rejected;
    ++counters_.rejected;
    refused_by = over_count ? queue_limit::requests : queue_limit::bytes;
    refuse(&service, name, refused_by, now);
    return false;
}

// Queues a new request of client's, frames from first_body on its body (moved), and
// dispatches what it can.
broker_t::request_t& broker_t::enqueue(client_t& client, service_t& service,
                                       std::vector<zmq::message_t>& frames, std::size_t first_body,
                                       std::size_t bytes, time_point_t now) {
    auto* request = new request_t;
    request->client = &client;
    request->service = &service;
    request->deadline = now + config_.request_timeout;
    request->bytes = bytes;
    request->body.reserve(frames.size() - first_body);
    for (std::size_t i = first_body; i < frames.size(); ++i)
        request->body.push_back(std::move(frames[i]));
    client.requests.push_back(request);
    service.queue_back(request);
    return *request;
}

void broker_t::handle_mmi(std::vector<zmq::message_t>& frames, const incoming_t& message) {
    const std::string_view id = frames[0].to_string_view();
    const std::string service_name(frames[message.service].to_string_view());
    std::vector<zmq::message_t> answer;
    if (service_name == "mmi.service") {
        const auto found = services_.find(frames[message.body].to_string_view());
        const bool available = found != services_.end() &&
                               (found->second->workers > 0 || has_usable_route(*found->second));
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
                .key("local")
                .value(service->workers > 0);
            write_routes(json, *service);
            json.end_object();
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
    worker->role = peer_role::worker;
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
    mark_dirty(*service);
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
    count_delivery(deliver(request, final_reply, frames, message.body), final_reply);
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
        if (request->client->worker_name() == client_id) return request;
    return nullptr;
}

} // namespace zd::mdp
