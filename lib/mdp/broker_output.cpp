// What broker_t sends (to workers, to clients, through its outbox) and what it reports
// (STATS per service and in all).
#include "mdp/broker_internals.hpp"

#include "base/json_writer.hpp"
#include "mdp/peering.hpp"

#include <algorithm>

namespace zd::mdp {

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

// A reply (or part of one) for request, its body frames[first_body...] (moved), to the
// client that asked: as MDP to a client, as a peering REPLY to a peer broker.
bool broker_t::deliver(request_t& request, bool final_reply, std::vector<zmq::message_t>& frames,
                       std::size_t first_body) {
    client_t& client = *request.client;
    if (!client.via_link)
        return send_to_client(client.id, client.protocol, client.leading_empty,
                              final_reply ? client_final_byte : client_partial_byte,
                              request.service->name, frames, first_body);
    if (!client.link || client.link->failed) return false; // the link went down meanwhile
    link_t& link = *client.link;
    const std::uint8_t reply = std::uint8_t(peering::command::reply);
    const std::uint8_t final_byte = final_reply ? 1 : 0;
    const std::string id = peering::encode_u64(request.federation->remote_id);
    out_.clear();
    out_.emplace_back(link.id.data(), link.id.size());
    out_.emplace_back(peering::header.data(), peering::header.size());
    out_.emplace_back(&reply, 1);
    out_.emplace_back(id.data(), id.size());
    out_.emplace_back(&final_byte, 1);
    for (std::size_t i = first_body; i < frames.size(); ++i)
        out_.push_back(std::move(frames[i]));
    return send_to_link(link, out_);
}

void broker_t::count_delivery(bool delivered, bool final_reply) {
    if (!delivered)
        ++counters_.unroutable_replies;
    else if (final_reply)
        ++counters_.replies;
    else
        ++counters_.partials;
}

// ---------------------------------------------------------------------------------------
// Statistics

// The service's routes through peer brokers: a JSON array member "routes".
void broker_t::write_routes(json_writer_t& json, const service_t& service) const {
    json.key("routes").begin_array();
    for (const route_t& route : service.routes) {
        const link_t& link = *route.link;
        json.begin_object()
            .key("peer")
            .value(link.name)
            .key("broker_id")
            .value(peering::hex_id(link.broker_id))
            .key("link")
            .value(link.label)
            .key("hops")
            .value(std::uint64_t(peering::path_length(route.path)))
            .key("capacity")
            .value(std::uint64_t(route.capacity))
            .key("in_flight")
            .value(std::uint64_t(route.in_flight))
            .key("usable")
            .value(link.up && link.active && !link.failed)
            .end_object();
    }
    json.end_array();
}

// Every link to a peer broker: a JSON array member "links".
void broker_t::write_links(json_writer_t& json) const {
    json.key("links").begin_array();
    for (const auto& [id, link] : links_) {
        json.begin_object()
            .key("link")
            .value(link->label)
            .key("initiated")
            .value(link->initiated)
            .key("up")
            .value(link->up)
            .key("active")
            .value(link->active)
            .key("peer")
            .value(link->name)
            .key("broker_id")
            .value(peering::hex_id(link->broker_id))
            .key("routes")
            .value(std::uint64_t(link->routed.size()))
            .key("in_flight")
            .value(std::uint64_t(link->requests.size()))
            .key("forwarded")
            .value(link->forwarded)
            .key("served")
            .value(link->served)
            .key("refused")
            .value(link->refused)
            .key("requests_in")
            .value(link->requests_in)
            .end_object();
    }
    json.end_array();
}

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
        .value(counters_.workers_expired)
        .key("broker_id")
        .value(peering::hex_id(config_.broker_id))
        .key("name")
        .value(config_.broker_name)
        .key("max_hops")
        .value(std::uint64_t(config_.max_hops))
        .key("forwarded")
        .value(counters_.forwarded)
        .key("peer_requests")
        .value(counters_.peer_requests)
        .key("peer_replies")
        .value(counters_.peer_replies)
        .key("refused_to_peers")
        .value(counters_.refused_to_peers)
        .key("refused_by_peers")
        .value(counters_.refused_by_peers)
        .key("stale_peer_replies")
        .value(counters_.stale_peer_replies)
        .key("peer_errors")
        .value(counters_.peer_errors)
        .key("links_lost")
        .value(counters_.links_lost)
        .key("links_up")
        .value(std::uint64_t(links_up()));
    write_links(json);
    json.key("services").begin_object();
    for (const auto& [name, service] : services_) {
        service_stats_t stats;
        service_stats(name, stats);
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
            .key("forwarded")
            .value(service->forwarded)
            .key("local")
            .value(stats.workers > 0);
        write_routes(json, *service);
        json.end_object();
    }
    json.end_object().end_object();
    return json.str();
}

} // namespace zd::mdp
