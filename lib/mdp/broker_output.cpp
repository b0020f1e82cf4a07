// What broker_t sends (to workers, to clients, through its outbox) and what it reports
// (STATS per service and in all).
#include "mdp/broker_internals.hpp"

#include "base/json_writer.hpp"

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
