// broker_t's links to peer brokers (federation, docs/FEDERATION.md): HELLO and heartbeats,
// requests sent to and received from peers, their replies and refusals, and what happens
// when a link goes down. Routes and their advertisement are in broker_routes.cpp.
#include "mdp/broker_internals.hpp"
#include "mdp/peering.hpp"

#include "base/log.hpp"

#include <set>

namespace zd::mdp {

namespace {
constexpr std::size_t request_first_body = 6; // id ZDPB01 0x05 request-id service path body+
constexpr std::size_t reply_first_body = 5;   // id ZDPB01 0x06 request-id final body+
} // namespace

void broker_t::add_link(std::string_view id, std::string_view label, time_point_t now) {
    auto link = std::make_unique<link_t>();
    link->id = std::string(id);
    link->role = peer_role::link;
    link->label = std::string(label);
    link->initiated = true;
    link->heartbeat_due = now; // HELLO at the next timer
    links_.emplace(link->id, std::move(link));
    next_timer_ = std::min(next_timer_, now);
}

void broker_t::on_link_connected(std::string_view id, time_point_t now) {
    auto found = links_.find(id);
    if (found == links_.end() || found->second->up || found->second->self) return;
    send_hello(*found->second, true); // at once: the fabric heals as soon as it can
    found->second->heartbeat_due = now + hello_interval();
    settle(now);
}

void broker_t::on_link_disconnected(std::string_view id, time_point_t now) {
    auto found = links_.find(id);
    if (found == links_.end()) return;
    found->second->failed = links_failed_ = true;
    settle(now);
}

std::size_t broker_t::links_up() const {
    std::size_t up = 0;
    for (const auto& [id, link] : links_)
        up += link->up ? 1 : 0;
    return up;
}

milliseconds_t broker_t::hello_interval() const {
    return std::min<milliseconds_t>(config_.heartbeat_interval, milliseconds_t(200));
}

// ---------------------------------------------------------------------------------------
// Sending

bool broker_t::send_to_link(link_t& link, std::vector<zmq::message_t>& frames) {
    if (link.failed) return false;
    if (outbox_.send(frames)) return true;
    link.failed = links_failed_ = true; // taken down by settle(), never in the middle of a step
    return false;
}

void broker_t::start_link_message(std::vector<zmq::message_t>& frames, const link_t& link,
                                  peering::command what) {
    frames.clear();
    frames.emplace_back(link.id.data(), link.id.size());
    frames.emplace_back(peering::header.data(), peering::header.size());
    const std::uint8_t byte = std::uint8_t(what);
    frames.emplace_back(&byte, 1);
}

void broker_t::send_hello(link_t& link, bool ask) {
    start_link_message(out_, link, peering::command::hello);
    out_.emplace_back(config_.broker_id.data(), config_.broker_id.size());
    out_.emplace_back(config_.broker_name.data(), config_.broker_name.size());
    const std::uint8_t kind = ask ? 0 : 1;
    out_.emplace_back(&kind, 1);
    (void)send_to_link(link, out_);
}

void broker_t::send_refuse(link_t& link, std::uint64_t remote_id, std::string_view service,
                           std::string_view reason) {
    ++counters_.refused_to_peers;
    if (services_.find(service) != services_.end()) link.refused_services.emplace(service);
    start_link_message(out_, link, peering::command::refuse);
    const std::string id = peering::encode_u64(remote_id);
    out_.emplace_back(id.data(), id.size());
    out_.emplace_back(reason.data(), reason.size());
    (void)send_to_link(link, out_);
}

// ---------------------------------------------------------------------------------------
// Incoming

void broker_t::handle_link_message(std::vector<zmq::message_t>& frames,
                                   const connection_lookup_t& connection_of, time_point_t now) {
    link_views_.clear();
    for (std::size_t i = 1; i < frames.size(); ++i)
        link_views_.push_back(frames[i].to_string_view());
    const peering::decoded_t decoded = peering::decode(link_views_.data(), link_views_.size());
    const std::string_view sender = frames[0].to_string_view();
    auto found = links_.find(sender);
    link_t* link = found == links_.end() ? nullptr : found->second.get();
    if (!decoded.ok()) {
        ++counters_.peer_errors;
        return;
    }
    const peering::message_t& message = decoded.message;
    if (message.what == peering::command::hello) {
        if (!link) {
            // A broker that named us with --peer: a link we accepted. Its routing id must not
            // be a client's or a worker's already.
            if (clients_.count(sender) || workers_.count(sender)) {
                ++counters_.peer_errors;
                return;
            }
            auto created = std::make_unique<link_t>();
            created->id = std::string(sender);
            created->role = peer_role::link;
            created->label = "accepted #" + std::to_string(++accepted_links_);
            link = created.get();
            links_.emplace(link->id, std::move(created));
            track_connection(*link, connection_of());
        }
        handle_hello(*link, link_views_[2], link_views_[3], message.ask, now);
        return;
    }
    if (!link || !link->up || link->failed) { // before HELLO, or after the link went down
        ++counters_.peer_errors;
        return;
    }
    link->expires_at = now + config_.heartbeat_interval * config_.heartbeat_liveness;
    switch (message.what) {
    case peering::command::hello:
    case peering::command::heartbeat:
        return;
    case peering::command::route:
        handle_route(*link, link_views_, now);
        return;
    case peering::command::withdraw:
        handle_withdraw(*link, link_views_);
        return;
    case peering::command::request:
        handle_peer_request(*link, frames, message.request, now);
        return;
    case peering::command::reply:
        handle_peer_reply(*link, frames, message.request, message.final, now);
        return;
    case peering::command::refuse:
        handle_refuse(*link, message.request, link_views_[3], now);
        return;
    }
}

void broker_t::handle_hello(link_t& link, std::string_view broker_id, std::string_view name,
                            bool ask, time_point_t now) {
    if (broker_id == config_.broker_id) {
        // The link leads back to this broker (a --peer names its own endpoint). The end that
        // accepted it answers, so that the end that opened it learns so and stops asking;
        // that end alone says it, once.
        if (!link.initiated) {
            if (ask) send_hello(link, false);
            return;
        }
        if (!link.self)
            log::error("peer link " + link.label +
                       " leads back to this broker itself: not used (check --peer)");
        link.self = true;
        return;
    }
    const bool same = link.up && link.broker_id == broker_id;
    if (same && !ask) return; // an answer to a HELLO we said again: nothing new
    // Asked again on a link that is up: the peer lost it (expired, restarted). Start afresh,
    // as after any loss, so neither side keeps what the other forgot.
    if (link.up) link_down(link, now);
    link_up(link, broker_id, name, now);
    if (ask) send_hello(link, false); // before the routes, so they find the link up
    std::vector<std::string> names;
    names.reserve(services_.size());
    for (const auto& [service_name, service] : services_)
        names.push_back(service_name);
    advertise(link, names);
}

void broker_t::link_up(link_t& link, std::string_view broker_id, std::string_view name,
                       time_point_t now) {
    link.up = true;
    link.failed = false;
    link.broker_id = std::string(broker_id);
    link.name = std::string(name);
    link.expires_at = now + config_.heartbeat_interval * config_.heartbeat_liveness;
    link.heartbeat_due = now + config_.heartbeat_interval;
    link.advertised.clear();
    link.refused_services.clear();
    links_of_[link.broker_id].push_back(&link);
    refresh_active(link.broker_id, now);
    log::info("peer broker " + link.name + " (" + peering::hex_id(link.broker_id) +
              ") is up on link " + link.label);
}

// Everything the link carried ends with it: its routes are withdrawn (and so re-advertised
// without it), our requests it held go back to their queues as a dead worker's do, and its
// requests waiting here are dropped (its broker serves them elsewhere).
void broker_t::link_down(link_t& link, time_point_t now) {
    ++counters_.links_lost;
    link.up = false;
    link.active = false;
    auto& peers = links_of_[link.broker_id];
    std::erase(peers, &link);
    refresh_active(link.broker_id, now);

    std::set<service_t*> touched;
    const std::vector<std::string> routed(link.routed.begin(), link.routed.end());
    for (const std::string& name : routed) {
        auto service = services_.find(name);
        if (service == services_.end()) continue;
        remove_route(*service->second, link);
        touched.insert(service->second.get());
    }
    link.routed.clear();
    link.advertised.clear();

    std::vector<request_t*> held;
    while (request_t* request = link.requests.front()) {
        take_back_from_link(*request);
        held.push_back(request);
    }
    for (auto request = held.rbegin(); request != held.rend(); ++request) {
        touched.insert((*request)->service);
        requeue_or_fail(**request, now); // newest first to the front: oldest ends up first
    }
    log::info("peer broker " + link.name + ": link " + link.label + " is down; " +
              std::to_string(held.size()) + " requests it held go back to the queue");
    detach_link_client(link, now);
    for (service_t* service : touched)
        dispatch_pending(*service, now);
}

// The link's requests waiting here are dropped; those at workers finish, their replies
// counted as unroutable (a worker that dies holding one, or a peer that refuses one, does not
// put it back: requeue_or_fail). The client is renamed so that the link, back up, starts
// afresh; workers still answer it by its old name (client_t::worker_name).
void broker_t::detach_link_client(link_t& link, time_point_t now) {
    auto found = clients_.find(link.id);
    if (found == clients_.end() || !found->second->via_link) return;
    found->second->link = nullptr;
    abandon_queued_requests(*found->second, now); // may forget the client
    found = clients_.find(link.id);
    if (found == clients_.end()) return;
    auto node = clients_.extract(found);
    node.key() = link.id + std::string("\0gone:", 6) + std::to_string(++detached_clients_);
    node.mapped()->id = node.key();
    node.mapped()->id_size = link.id.size(); // for the replies of workers that hold its requests
    clients_.insert(std::move(node));
}

void broker_t::handle_peer_request(link_t& link, std::vector<zmq::message_t>& frames,
                                   std::uint64_t remote_id, time_point_t now) {
    ++counters_.peer_requests;
    ++link.requests_in;
    const std::string_view name = frames[4].to_string_view();
    const std::string_view path = frames[5].to_string_view();
    if (name.starts_with(mmi_prefix))
        return send_refuse(link, remote_id, name, "mmi is per broker");
    if (peering::path_contains(path, config_.broker_id))
        return send_refuse(link, remote_id, name, "loop");
    if (peering::path_length(path) > config_.max_hops)
        return send_refuse(link, remote_id, name, "too many hops");
    service_t* service = find_or_create_service(name, now);
    if (!service) return send_refuse(link, remote_id, name, "too many services");
    if (service->workers == 0 && !can_forward(*service, path))
        return send_refuse(link, remote_id, name, "no route");
    const std::size_t bytes = request_bytes(frames, request_first_body);
    queue_limit refused_by = queue_limit::bytes;
    if (!admit(*service, name, bytes, now, refused_by))
        return send_refuse(link, remote_id, name, "queue full");
    auto known = clients_.find(link.id);
    client_t* client = known == clients_.end() ? nullptr : known->second.get();
    if (!client) {
        auto created = std::make_unique<client_t>();
        created->id = link.id;
        created->protocol = version::v02; // takes partial replies
        created->leading_empty = false;
        created->via_link = true;
        created->link = &link;
        client = created.get();
        clients_.emplace(client->id, std::move(created));
        track_connection(*client, link.connection);
    }
    auto federation = std::make_unique<federated_t>();
    federation->remote_id = remote_id;
    federation->path = std::string(path);
    request_t& request = enqueue(*client, *service, frames, request_first_body, bytes, now);
    request.federation = std::move(federation);
    dispatch_pending(*service, now);
}

void broker_t::handle_peer_reply(link_t& link, std::vector<zmq::message_t>& frames,
                                 std::uint64_t id, bool final_reply, time_point_t now) {
    auto found = link.by_id.find(id);
    if (found == link.by_id.end()) {
        ++counters_.stale_peer_replies; // requeued already, after a refusal or a loss
        return;
    }
    request_t& request = *found->second;
    service_t& service = *request.service;
    const client_t& client = *request.client;
    if (!final_reply && !client.via_link && client.protocol == version::v01) {
        ++counters_.dropped_partials;
        return;
    }
    count_delivery(deliver(request, final_reply, frames, reply_first_body), final_reply);
    if (!final_reply) return;
    ++counters_.peer_replies;
    ++link.served;
    ++service.served;
    take_back_from_link(request);
    finish(request, now);
    dispatch_pending(service, now);
}

void broker_t::handle_refuse(link_t& link, std::uint64_t id, std::string_view reason,
                             time_point_t now) {
    auto found = link.by_id.find(id);
    if (found == link.by_id.end()) {
        ++counters_.stale_peer_replies;
        return;
    }
    request_t& request = *found->second;
    service_t& service = *request.service;
    ++counters_.refused_by_peers;
    ++link.refused;
    take_back_from_link(request);
    // The route goes until the peer advertises it again, so the request does not bounce back
    // to the same broker.
    remove_route(service, link);
    if (reason == peering::refuse_failed) {
        // The peer's workers died holding it, max_retries times: a retry here too, so that
        // a request that kills workers fails at last wherever it goes.
        requeue_or_fail(request, now);
    } else if (request.client->detached()) { // a peer's, and that peer took it back meanwhile
        ++counters_.abandoned;
        finish(request, now);
        return;
    } else {
        service.queue_front(&request); // not a retry: the request was not served
    }
    dispatch_pending(service, now);
}

// Sends request to route's broker. False if the link failed: the request is back at the
// front of its queue, and the link is taken down by settle().
bool broker_t::forward(route_t& route, request_t& request) {
    link_t& link = *route.link;
    service_t& service = *request.service;
    if (!request.federation) request.federation = std::make_unique<federated_t>();
    federated_t& federation = *request.federation;
    federation.id = ++next_request_id_;
    const std::string id = peering::encode_u64(federation.id);
    const std::string path = federation.path + config_.broker_id;
    start_link_message(out_, link, peering::command::request);
    out_.emplace_back(id.data(), id.size());
    out_.emplace_back(service.name.data(), service.name.size());
    out_.emplace_back(path.data(), path.size());
    for (auto& frame : request.body) {
        out_.emplace_back();
        out_.back().copy(frame);
    }
    if (!send_to_link(link, out_)) {
        service.queue_front(&request);
        return false;
    }
    federation.link = &link;
    link.requests.push_back(&request);
    link.by_id.emplace(federation.id, &request);
    ++route.in_flight;
    ++service.in_flight;
    ++service.forwarded;
    ++link.forwarded;
    ++counters_.forwarded;
    return true;
}

// Unlinks a request in flight at a peer from that peer.
void broker_t::take_back_from_link(request_t& request) {
    federated_t& federation = *request.federation;
    link_t& link = *federation.link;
    link.by_id.erase(federation.id);
    link.requests.erase(&request);
    federation.link = nullptr;
    --request.service->in_flight;
    for (route_t& route : request.service->routes)
        if (route.link == &link) {
            if (route.in_flight > 0) --route.in_flight;
            break;
        }
}

// ---------------------------------------------------------------------------------------
// Timers, and the end of every step

// The peer dropped our route for each service we refused it a request for (handle_refuse):
// what we can still offer is said again, once a heartbeat interval, not at once, so that a
// full queue does not bounce requests back and forth.
void broker_t::readvertise_refused(link_t& link) {
    if (link.refused_services.empty()) return;
    std::vector<std::string> names(link.refused_services.begin(), link.refused_services.end());
    link.refused_services.clear();
    for (const std::string& name : names)
        link.advertised.erase(name);
    advertise(link, names);
}

void broker_t::link_timers(time_point_t now) {
    for (auto& [id, link] : links_) {
        if (link->up) {
            if (now >= link->expires_at) {
                log::info("peer broker " + link->name + ": link " + link->label + " silent for " +
                          std::to_string(config_.heartbeat_liveness) + " heartbeat intervals");
                link->failed = links_failed_ = true;
            } else if (now >= link->heartbeat_due) {
                start_link_message(out_, *link, peering::command::heartbeat);
                (void)send_to_link(*link, out_);
                link->heartbeat_due = now + config_.heartbeat_interval;
                readvertise_refused(*link);
            }
        } else if (link->initiated && !link->self && now >= link->heartbeat_due) {
            send_hello(*link, true);
            link->heartbeat_due = now + hello_interval();
        }
    }
}

// Runs after every step: takes failed links down (what a link's failure sets off can fail
// another), forgets accepted links that are down, and sends the route changes.
void broker_t::settle(time_point_t now) {
    for (int round = 0; round < 8 && (links_failed_ || !dirty_.empty()); ++round) {
        while (links_failed_) {
            links_failed_ = false;
            for (auto& [id, link] : links_) {
                if (!link->failed) continue;
                if (link->up) link_down(*link, now);
                link->failed = false;
            }
        }
        flush_advertisements(now);
    }
    for (auto link = links_.begin(); link != links_.end();) {
        if (link->second->initiated || link->second->up) {
            ++link;
            continue;
        }
        untrack_connection(*link->second);
        link = links_.erase(link);
    }
}

} // namespace zd::mdp
