// broker_t's routes through peer brokers (federation, docs/FEDERATION.md): what peers
// advertise, what we advertise to them, and which route a request takes.
//
// The scheme is a path vector: an advertisement names every broker on the way to the
// workers, so a broker never accepts a route through itself, and a request carries the
// brokers it passed, so it never visits one twice. max_hops bounds both.
#include "mdp/broker_internals.hpp"
#include "mdp/peering.hpp"

#include <algorithm>
#include <limits>

namespace zd::mdp {

// ---------------------------------------------------------------------------------------
// What peers advertise

void broker_t::handle_route(link_t& link, const std::vector<std::string_view>& views,
                            time_point_t now) {
    for (std::size_t at = 2; at + 2 < views.size(); at += 3) {
        const std::string_view name = views[at];
        const std::uint32_t capacity = peering::decode_u32(views[at + 1]);
        const std::string_view path = views[at + 2];
        const bool acceptable = !name.starts_with(mmi_prefix) && capacity > 0 &&
                                path.substr(0, peering::broker_id_size) == link.broker_id &&
                                !peering::path_contains(path, config_.broker_id) &&
                                peering::path_length(path) <= config_.max_hops;
        if (!acceptable) {
            // A route we cannot use replaces the one we had: that one is gone too.
            auto found = services_.find(name);
            if (found != services_.end()) remove_route(*found->second, link);
            continue;
        }
        service_t* service = find_or_create_service(name, now);
        if (!service) { // past max_services
            ++counters_.peer_errors;
            continue;
        }
        set_route(*service, link, path, capacity);
        dispatch_pending(*service, now);
    }
}

void broker_t::handle_withdraw(link_t& link, const std::vector<std::string_view>& views) {
    for (std::size_t at = 2; at < views.size(); ++at) {
        auto found = services_.find(views[at]);
        if (found != services_.end()) remove_route(*found->second, link);
    }
}

void broker_t::set_route(service_t& service, link_t& link, std::string_view path,
                         std::uint32_t capacity) {
    auto route = std::find_if(service.routes.begin(), service.routes.end(),
                              [&link](const route_t& route) { return route.link == &link; });
    if (route == service.routes.end()) {
        // Requests sent on an earlier route of this link may still be at the peer: they take
        // up its capacity as much as if the route had never gone.
        std::uint32_t in_flight = 0;
        for (request_t* request = link.requests.front(); request;
             request = link.requests.next(request))
            in_flight += request->service == &service ? 1 : 0;
        service.routes.push_back(route_t{&link, std::string(path), capacity, in_flight});
        link.routed.insert(service.name);
    } else {
        route->path.assign(path);
        route->capacity = capacity; // in_flight stays: those requests are still there
    }
    mark_dirty(service);
}

void broker_t::remove_route(service_t& service, link_t& link) {
    auto route = std::find_if(service.routes.begin(), service.routes.end(),
                              [&link](const route_t& route) { return route.link == &link; });
    if (route == service.routes.end()) return;
    service.routes.erase(route);
    link.routed.erase(service.name);
    mark_dirty(service);
}

// ---------------------------------------------------------------------------------------
// Which route a request takes

// Whether request, having passed the brokers in visited, may take route.
bool broker_t::route_allowed(const route_t& route, std::string_view visited) const {
    return route.link->usable() && !peering::paths_meet(route.path, visited) &&
           peering::path_length(visited) + peering::path_length(route.path) <= config_.max_hops;
}

bool broker_t::can_forward(const service_t& service, std::string_view visited) const {
    return std::any_of(service.routes.begin(), service.routes.end(),
                       [&](const route_t& route) { return route_allowed(route, visited); });
}

bool broker_t::has_usable_route(const service_t& service) const {
    return can_forward(service, {});
}

// A route with room for the request, or null. A peer's request is passed on only where this
// broker has no workers for it (it came here for them). Among routes with room, the
// shortest, then the least loaded for its capacity: load spreads over peers in proportion
// to what each advertised.
broker_t::route_t* broker_t::pick_route(service_t& service, const request_t& request) {
    if (request.client->via_link && service.workers > 0) return nullptr;
    const std::string_view visited =
        request.federation ? std::string_view(request.federation->path) : std::string_view();
    route_t* best = nullptr;
    for (route_t& route : service.routes) {
        if (route.in_flight >= route.capacity || !route_allowed(route, visited)) continue;
        if (best) {
            const std::size_t length = peering::path_length(route.path);
            const std::size_t best_length = peering::path_length(best->path);
            if (length > best_length) continue;
            if (length == best_length && std::uint64_t(route.in_flight) * best->capacity >=
                                             std::uint64_t(best->in_flight) * route.capacity)
                continue;
        }
        best = &route;
    }
    return best;
}

// ---------------------------------------------------------------------------------------
// What we advertise

void broker_t::mark_dirty(service_t& service) {
    if (service.dirty || links_.empty()) return;
    service.dirty = true;
    dirty_.push_back(service.name);
}

// What link should be told of service: its capacity (4 bytes) and path, or nothing. Our own
// workers come first; else the best route the link's broker is not on (it would refuse it),
// if one more hop keeps it within max_hops.
std::string broker_t::advertisement_for(const service_t& service, const link_t& link) const {
    if (service.workers > 0) {
        const std::uint64_t capacity =
            std::min<std::uint64_t>(std::uint64_t(service.workers) * config_.worker_credit,
                                    std::numeric_limits<std::uint32_t>::max());
        return peering::encode_u32(std::uint32_t(capacity)) + config_.broker_id;
    }
    const route_t* best = nullptr;
    for (const route_t& route : service.routes) {
        if (!route.link->usable() || peering::path_contains(route.path, link.broker_id) ||
            peering::path_length(route.path) + 1 > config_.max_hops)
            continue;
        const std::size_t length = peering::path_length(route.path);
        if (best &&
            (length > peering::path_length(best->path) ||
             (length == peering::path_length(best->path) && route.capacity <= best->capacity)))
            continue;
        best = &route;
    }
    if (!best) return {};
    return peering::encode_u32(best->capacity) + config_.broker_id + best->path;
}

// Tells link what changed for the services named: ROUTE for what it can now use, WITHDRAW
// for what it no longer can, nothing where its last word still holds. Batched, a bounded
// number of services per message.
void broker_t::advertise(link_t& link, const std::vector<std::string>& names) {
    if (!link.up || link.failed) return;
    const std::size_t per_message =
        std::max<std::size_t>(1, std::min<std::size_t>(100, (config_.max_frames - 3) / 3));
    std::vector<zmq::message_t> routes, withdrawals;
    std::size_t route_count = 0, withdraw_count = 0;
    for (const std::string& name : names) {
        auto found = services_.find(name);
        const std::string now_said =
            found == services_.end() ? std::string() : advertisement_for(*found->second, link);
        auto said = link.advertised.find(name);
        if (now_said.empty()) {
            if (said == link.advertised.end()) continue;
            link.advertised.erase(said);
            if (withdraw_count == 0)
                start_link_message(withdrawals, link, peering::command::withdraw);
            withdrawals.emplace_back(name.data(), name.size());
            if (++withdraw_count == per_message) {
                (void)send_to_link(link, withdrawals);
                withdraw_count = 0;
            }
            continue;
        }
        if (said != link.advertised.end() && said->second == now_said) continue;
        if (route_count == 0) start_link_message(routes, link, peering::command::route);
        routes.emplace_back(name.data(), name.size());
        routes.emplace_back(now_said.data(), peering::capacity_size);
        routes.emplace_back(now_said.data() + peering::capacity_size,
                            now_said.size() - peering::capacity_size);
        link.advertised[name] = now_said;
        if (++route_count == per_message) {
            (void)send_to_link(link, routes);
            route_count = 0;
        }
    }
    if (withdraw_count > 0) (void)send_to_link(link, withdrawals);
    if (route_count > 0) (void)send_to_link(link, routes);
}

void broker_t::flush_advertisements(time_point_t now) {
    if (dirty_.empty()) return;
    std::vector<std::string> names;
    names.swap(dirty_);
    for (const std::string& name : names) {
        auto found = services_.find(name);
        if (found == services_.end()) continue;
        found->second->dirty = false;
        refuse_stranded(*found->second, now);
    }
    for (auto& [id, link] : links_)
        advertise(*link, names);
}

// A peer's requests waiting here for a service this broker can no longer serve (its workers
// and the routes they could take are gone) go back to their brokers at once, to be served
// elsewhere, rather than wait here for their timeout.
void broker_t::refuse_stranded(service_t& service, time_point_t now) {
    if (service.workers > 0 || service.queue.empty()) return;
    std::vector<request_t*> stranded;
    for (request_t* request = service.queue.front(); request; request = service.queue.next(request))
        if (request->client->via_link && !can_forward(service, request->federation->path))
            stranded.push_back(request);
    for (request_t* request : stranded) {
        if (link_t* link = request->client->link)
            send_refuse(*link, request->federation->remote_id, service.name, "no route");
        finish(*request, now);
    }
}

// Of the links up to one broker, one carries our requests and its routes count: the one we
// opened if there is one (both brokers then send on their own), else the newest (the broker
// opens a new connection only when it gave up the old one, which we may not have noticed).
void broker_t::refresh_active(const std::string& broker_id, time_point_t now) {
    auto found = links_of_.find(broker_id);
    if (found == links_of_.end()) return;
    auto& links = found->second;
    if (links.empty()) {
        links_of_.erase(found);
        return;
    }
    link_t* chosen = links.back();
    for (link_t* link : links)
        if (link->initiated) {
            chosen = link;
            break;
        }
    for (link_t* link : links) {
        const bool active = link == chosen;
        if (link->active == active) continue;
        link->active = active;
        for (const std::string& name : link->routed) {
            auto service = services_.find(name);
            if (service == services_.end()) continue;
            mark_dirty(*service->second);
            if (active) dispatch_pending(*service->second, now);
        }
    }
}

} // namespace zd::mdp
