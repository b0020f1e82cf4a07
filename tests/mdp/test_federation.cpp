// Broker federation (docs/FEDERATION.md) with broker_t instances joined by a fake network
// (federation_harness.hpp): links come up on HELLO, routes spread as path vectors, a request
// is served by a peer's worker and its reply comes back, load spreads by advertised capacity,
// no request visits a broker twice and no advertisement goes round a cycle, silent and closed
// links hand their requests back, and malformed peering input is counted, never fatal.
#include "federation_harness.hpp"
#include "json_reader.hpp"

#include <map>
#include <random>

using namespace zd::mdp;
using namespace zd::mdp::federation_test;
using zd::test::json_value_t;
using zd::test::parse_json;

namespace {

constexpr auto v01 = version::v01;
constexpr auto v02 = version::v02;

std::string cmd(peering::command what) {
    return byte(std::uint8_t(what));
}

// Takes the first request node sent to worker (skipping heartbeats and the rest).
frames_t take_request(node_t& node, const std::string& worker) {
    for (auto message = node.sent.begin(); message != node.sent.end(); ++message) {
        if (!is_worker_request(*message, worker)) continue;
        frames_t found = std::move(*message);
        node.sent.erase(message);
        return found;
    }
    FAIL("no request for worker " << worker);
    return {};
}
std::size_t requests_for(const node_t& node, const std::string& worker) {
    return std::size_t(std::count_if(node.sent.begin(), node.sent.end(), [&](const frames_t& m) {
        return is_worker_request(m, worker);
    }));
}

// Worker answers the first request it was given (0.1 REPLY), echoing its body with a prefix.
void serve(network_t& net, std::size_t node, const std::string& worker,
           const std::string& prefix = "re:") {
    const frames_t request = take_request(net[node], worker);
    net.reply(node, worker, request[4], {prefix + request.back()});
}

// Messages node sent to client (MDP replies), skipping anything else.
std::vector<frames_t> replies_to(node_t& node, const std::string& client) {
    std::vector<frames_t> found;
    for (auto message = node.sent.begin(); message != node.sent.end();) {
        if (!message->empty() && (*message)[0] == client) {
            found.push_back(std::move(*message));
            message = node.sent.erase(message);
        } else {
            ++message;
        }
    }
    return found;
}

json_value_t stats_of(network_t& net, std::size_t node) {
    return parse_json(net.broker(node).stats_json());
}

// The routes node has for service, as its STATS shows them (none if it does not know it).
std::vector<json_value_t> routes_of(network_t& net, std::size_t node, const std::string& service) {
    const json_value_t stats = stats_of(net, node);
    if (!stats["services"].has(service)) return {};
    return stats["services"][service]["routes"].items;
}
std::size_t usable_routes(network_t& net, std::size_t node, const std::string& service) {
    std::size_t usable = 0;
    for (const auto& route : routes_of(net, node, service))
        usable += route["usable"].boolean ? 1 : 0;
    return usable;
}

// What mmi.service says at node for service.
std::string mmi_service(network_t& net, std::size_t node, const std::string& service) {
    net.request(node, "mmi-client", "mmi.service", {service});
    const auto replies = replies_to(net[node], "mmi-client");
    REQUIRE(replies.size() == 1);
    return replies[0].back();
}

// Every REQUEST that crossed a wire: its path names the brokers it passed, the sender last,
// none twice, and never the broker it goes to.
void check_request_paths(const network_t& net) {
    for (const crossed_t& message : net.crossed(peering::command::request)) {
        const std::string& path = message.frames[4];
        REQUIRE(path.size() % peering::broker_id_size == 0);
        std::set<std::string> seen;
        for (std::size_t at = 0; at < path.size(); at += peering::broker_id_size) {
            const std::string id = path.substr(at, peering::broker_id_size);
            INFO("broker " << id << " twice on a request's path");
            CHECK(seen.insert(id).second);
        }
        CHECK(path.substr(path.size() - peering::broker_id_size) ==
              net.nodes[message.from]->broker.broker_id());
        CHECK_FALSE(peering::path_contains(path, net.nodes[message.to]->broker.broker_id()));
    }
}

// Links every pair of brokers, the lower index opening.
void full_mesh(network_t& net) {
    for (std::size_t i = 0; i < net.nodes.size(); ++i)
        for (std::size_t j = i + 1; j < net.nodes.size(); ++j)
            net.open(i, j);
    net.run();
}

} // namespace

// ---------------------------------------------------------------------------------------
// Links and routes

TEST_CASE("one-sided peering: the opener's HELLO is answered and both links are up",
          "[federation]") {
    network_t net;
    const auto a = net.add("A"), b = net.add("B");
    net.open(b, a); // B names A with --peer; A names nobody
    net.run();
    CHECK(net.broker(a).links_up() == 1);
    CHECK(net.broker(b).links_up() == 1);
    const auto hellos = net.crossed(peering::command::hello);
    REQUIRE(hellos.size() == 2);
    CHECK(hellos[0].from == b);
    CHECK(hellos[0].frames[4] == byte(0)); // asks
    CHECK(hellos[1].from == a);
    CHECK(hellos[1].frames[4] == byte(1)); // answers
    CHECK(hellos[1].frames[2] == net.broker(a).broker_id());
    CHECK(hellos[1].frames[3] == "A");

    // Up, they only heartbeat: no more HELLOs, and neither side loses the link.
    net.advance(10s);
    CHECK(net.crossed(peering::command::hello).size() == 2);
    CHECK(net.crossed(peering::command::heartbeat).size() >= 16);
    CHECK(net.broker(a).counters().links_lost == 0);
    CHECK(net.broker(b).counters().links_lost == 0);
    const auto stats = stats_of(net, a);
    REQUIRE(stats["links"].items.size() == 1);
    CHECK(stats["links"].items[0]["peer"].text == "B");
    CHECK(stats["links"].items[0]["active"].boolean);
    CHECK_FALSE(stats["links"].items[0]["initiated"].boolean);
}

TEST_CASE("routes are learned both ways with the workers' capacity", "[federation]") {
    network_t net;
    broker_config_t config = federation_config("B");
    config.worker_credit = 2;
    const auto a = net.add("A"), b = net.add("B", config);
    net.ready(a, "wa", "ocr");
    net.ready(b, "wb1", "echo");
    net.ready(b, "wb2", "echo");
    net.open(a, b);
    net.run();

    auto routes = routes_of(net, a, "echo");
    REQUIRE(routes.size() == 1);
    CHECK(routes[0]["peer"].text == "B");
    CHECK(routes[0]["capacity"].as_uint64() == 4); // two workers, credit 2
    CHECK(routes[0]["hops"].as_uint64() == 1);
    CHECK(routes[0]["usable"].boolean);
    routes = routes_of(net, b, "ocr");
    REQUIRE(routes.size() == 1);
    CHECK(routes[0]["capacity"].as_uint64() == 1);
    CHECK(mmi_service(net, a, "echo") == "200");
    CHECK(mmi_service(net, b, "ocr") == "200");
    CHECK(mmi_service(net, a, "nothing") == "404");

    // A worker that comes later is advertised at once; one that leaves lowers the capacity.
    net.worker_disconnect(b, "wb2");
    net.run();
    CHECK(routes_of(net, a, "echo")[0]["capacity"].as_uint64() == 2);
    net.ready(b, "wb3", "echo");
    net.ready(b, "wb4", "echo");
    net.run();
    CHECK(routes_of(net, a, "echo")[0]["capacity"].as_uint64() == 6);
}

// ---------------------------------------------------------------------------------------
// Requests through a peer

TEST_CASE("a 0.1 client's request on A is served by B's worker; the reply comes back",
          "[federation]") {
    network_t net;
    const auto a = net.add("A"), b = net.add("B");
    net.ready_v02(b, "wb", "echo");
    net.open(a, b);
    net.run();

    net.request(a, "c1", "echo", {"hello", "world"}, v01);
    net.run();
    REQUIRE(net[b].sent.size() == 1);
    const frames_t at_worker = net[b].take();
    REQUIRE(is_worker_request_v02(at_worker, "wb"));
    CHECK(frames_t(at_worker.begin() + 5, at_worker.end()) == frames_t{"hello", "world"});
    CHECK(net.broker(b).counters().peer_requests == 1);
    // A partial from a 0.2 worker cannot reach a 0.1 client: A drops it.
    net.reply_v02(b, "wb", at_worker[3], false, {"part"});
    net.run();
    CHECK(replies_to(net[a], "c1").empty());
    CHECK(net.broker(a).counters().dropped_partials == 1);
    net.reply_v02(b, "wb", at_worker[3], true, {"hello", "back"});
    net.run();
    const auto replies = replies_to(net[a], "c1");
    REQUIRE(replies.size() == 1);
    CHECK(replies[0] == to_client_v01("c1", "echo", {"hello", "back"}));
    CHECK(net.broker(a).counters().forwarded == 1);
    CHECK(net.broker(a).counters().peer_replies == 1);
    CHECK(net.broker(a).counters().replies == 1);
    CHECK(net.stats(a, "echo").served == 1);
    CHECK(net.stats(a, "echo").in_flight == 0);
    CHECK(net.stats(b, "echo").served == 1);
    CHECK(net.broker(b).client_count() == 0); // the link's requests are done
    check_request_paths(net);
}

TEST_CASE("a 0.2 client gets a peer worker's partials, then the final reply", "[federation]") {
    network_t net;
    const auto a = net.add("A"), b = net.add("B");
    net.ready_v02(b, "wb", "stream");
    net.open(b, a); // the other direction: B opened, A accepted
    net.run();

    net.request(a, "c2", "stream", {"go"}, v02);
    net.run();
    REQUIRE(net[b].sent.size() == 1);
    const frames_t at_worker = net[b].take();
    REQUIRE(at_worker.size() == 6);
    CHECK(at_worker[1] == "MDPW02");
    const std::string client = at_worker[3];
    net.reply_v02(b, "wb", client, false, {"part 1"});
    net.reply_v02(b, "wb", client, false, {"part 2", "more"});
    net.reply_v02(b, "wb", client, true, {"done"});
    net.run();
    const auto replies = replies_to(net[a], "c2");
    REQUIRE(replies.size() == 3);
    CHECK(replies[0] == to_client_v02("c2", 0x02, "stream", {"part 1"}));
    CHECK(replies[1] == to_client_v02("c2", 0x02, "stream", {"part 2", "more"}));
    CHECK(replies[2] == to_client_v02("c2", 0x03, "stream", {"done"}));
    CHECK(net.broker(a).counters().partials == 2);
    CHECK(net.broker(a).counters().replies == 1);
}

TEST_CASE("local workers first, then a peer with room, then the queue", "[federation]") {
    network_t net;
    const auto a = net.add("A"), b = net.add("B");
    net.ready(a, "wa", "echo");
    net.ready(b, "wb", "echo");
    net.open(a, b);
    net.run();

    net.request(a, "c1", "echo", {"1"});
    net.run();
    CHECK(requests_for(net[a], "wa") == 1); // A's own idle worker, though B has room
    CHECK(net.broker(a).counters().forwarded == 0);
    net.request(a, "c2", "echo", {"2"});
    net.run();
    CHECK(requests_for(net[b], "wb") == 1); // A's worker is busy: B has room
    net.request(a, "c3", "echo", {"3"});
    net.run();
    CHECK(net.stats(a, "echo").queued == 1); // neither has room: it waits at A
    CHECK(net.broker(a).counters().forwarded == 1);

    serve(net, a, "wa");
    net.run();
    CHECK(replies_to(net[a], "c1").size() == 1);
    CHECK(take_request(net[a], "wa")[6] == "3"); // the queued one goes to the freed worker
    serve(net, b, "wb");
    net.run();
    CHECK(replies_to(net[a], "c2").size() == 1);
    CHECK(net.stats(a, "echo").queued == 0);
}

TEST_CASE("B's request is served by B's workers, not passed back to A", "[federation]") {
    network_t net;
    const auto a = net.add("A"), b = net.add("B");
    net.ready(a, "wa", "echo");
    net.ready(b, "wb", "echo");
    net.open(a, b);
    net.run();
    // Fill B's worker with a request of its own; a request from A then waits at B for it.
    net.request(b, "cb", "echo", {"b1"});
    net.request(a, "c1", "echo", {"a1"});
    net.request(a, "c2", "echo", {"a2"}); // A's worker busy: goes to B, which has route to A
    net.run();
    CHECK(net.stats(b, "echo").queued == 1);
    CHECK(net.broker(b).counters().forwarded == 0);
    check_request_paths(net);
}

TEST_CASE("load spreads over two peers in proportion to their capacity", "[federation]") {
    network_t net;
    const auto a = net.add("A"), b = net.add("B"), c = net.add("C");
    net.ready(b, "b1", "echo");
    net.ready(b, "b2", "echo");
    net.ready(c, "c1", "echo");
    net.open(a, b);
    net.open(a, c);
    net.run();

    for (int i = 0; i < 5; ++i)
        net.request(a, "client" + std::to_string(i), "echo", {std::to_string(i)});
    net.run();
    CHECK(requests_for(net[b], "b1") + requests_for(net[b], "b2") == 2);
    CHECK(requests_for(net[c], "c1") == 1);
    CHECK(net.stats(a, "echo").queued == 2); // no more than advertised at either
    CHECK(net.stats(b, "echo").queued == 0);
    CHECK(net.stats(c, "echo").queued == 0);

    // Whichever frees a place takes the next.
    serve(net, c, "c1");
    net.run();
    CHECK(requests_for(net[c], "c1") == 1);
    CHECK(net.stats(a, "echo").queued == 1);
    serve(net, b, "b2");
    net.run();
    CHECK(requests_for(net[b], "b2") == 1);
    CHECK(net.stats(a, "echo").queued == 0);
}

TEST_CASE("a peer with one worker of credit 1 never holds more than one of our requests",
          "[federation]") {
    network_t net;
    const auto a = net.add("A"), b = net.add("B");
    net.ready(b, "wb", "echo");
    net.open(a, b);
    net.run();

    for (int i = 0; i < 6; ++i)
        net.request(a, "c" + std::to_string(i), "echo", {std::to_string(i)});
    net.run();
    for (int served = 0; served < 6; ++served) {
        INFO("served so far: " << served);
        CHECK(net.stats(b, "echo").queued == 0);
        CHECK(net.stats(b, "echo").in_flight == 1);
        CHECK(net.stats(a, "echo").in_flight == 1);
        CHECK(requests_for(net[b], "wb") == 1);
        const frames_t request = take_request(net[b], "wb");
        CHECK(request[6] == std::to_string(served)); // first come, first served
        net.reply(b, "wb", request[4], {"ok"});
        net.run();
        CHECK(replies_to(net[a], "c" + std::to_string(served)).size() == 1);
    }
    CHECK(net.stats(a, "echo").in_flight == 0);
    CHECK(net.broker(a).counters().forwarded == 6);
}

TEST_CASE("partial replies travel two hops to a 0.2 client", "[federation]") {
    broker_config_t config = federation_config("A");
    config.max_hops = 2;
    network_t net;
    net.add_many(3, config);
    const std::size_t a = 0, b = 1, c = 2;
    net.open(a, b);
    net.open(b, c);
    net.ready_v02(c, "wc", "stream");
    net.run();
    net.request(a, "client", "stream", {"go"}, v02);
    net.run();
    REQUIRE(net[c].sent.size() == 1);
    const frames_t at_worker = net[c].take();
    net.reply_v02(c, "wc", at_worker[3], false, {"1"});
    net.reply_v02(c, "wc", at_worker[3], false, {"2"});
    net.reply_v02(c, "wc", at_worker[3], true, {"end"});
    net.run();
    CHECK(replies_to(net[a], "client") ==
          std::vector<frames_t>{to_client_v02("client", 0x02, "stream", {"1"}),
                                to_client_v02("client", 0x02, "stream", {"2"}),
                                to_client_v02("client", 0x03, "stream", {"end"})});
    CHECK(net.broker(b).counters().partials == 2); // passed on as REPLY, final 0
    CHECK(net.broker(b).counters().replies == 1);
    CHECK(net.broker(b).client_count() == 0);
}

TEST_CASE("many services are advertised in batches, each within max_frames", "[federation]") {
    broker_config_t config = federation_config("B");
    config.max_services = 1000;
    network_t net;
    const auto a = net.add("A", [] {
        broker_config_t many = federation_config("A");
        many.max_services = 1000;
        return many;
    }());
    const auto b = net.add("B", config);
    for (int i = 0; i < 250; ++i)
        net.ready(b, "w" + std::to_string(i), "service-" + std::to_string(i));
    net.open(a, b);
    net.run();
    const auto routes = net.crossed(peering::command::route);
    CHECK(routes.size() == 3); // 100 a message
    for (const crossed_t& message : routes)
        CHECK(message.frames.size() <= config.max_frames);
    CHECK(net.broker(a).service_count() == 250);
    CHECK(mmi_service(net, a, "service-249") == "200");
    for (int i = 0; i < 250; ++i)
        net.worker_disconnect(b, "w" + std::to_string(i));
    net.run();
    CHECK(mmi_service(net, a, "service-0") == "404");
    CHECK(mmi_service(net, a, "service-249") == "404");
}

TEST_CASE("a peer's request past max_services is refused", "[federation]") {
    broker_config_t config = federation_config("A");
    config.max_services = 1;
    network_t net;
    const auto a = net.add("A", config), b = net.add("B");
    net.ready(a, "wa", "echo");
    const auto wire = net.open(b, a);
    net.run();
    net.inject_at_acceptor(wire, {"ZDPB01", cmd(peering::command::request), peering::encode_u64(5),
                                  "second", net.broker(b).broker_id(), "x"});
    const auto refusals = net.crossed(peering::command::refuse);
    REQUIRE(refusals.size() == 1);
    CHECK(refusals[0].frames[3] == "too many services");
    CHECK(net.broker(a).service_count() == 1);
}

TEST_CASE("a peer's request that expires here is refused back, and its broker requeues it "
          "without a retry",
          "[federation]") {
    broker_config_t config = federation_config("B");
    config.request_timeout = 2000ms;
    network_t net;
    const auto a = net.add("A"), b = net.add("B", config);
    net.ready(b, "wb", "echo");
    net.open(a, b);
    net.run();
    net.request(b, "local", "echo", {"b's own"}); // keeps B's worker busy
    net.request(a, "c1", "echo", {"1"});
    net.run();
    CHECK(net.stats(b, "echo").queued == 1);
    net.advance(2500ms);
    const auto refusals = net.crossed(peering::command::refuse);
    REQUIRE(refusals.size() == 1);
    CHECK(refusals[0].frames[3] == "expired");
    CHECK(net.stats(b, "echo").expired == 1);
    CHECK(net.broker(a).counters().refused_by_peers == 1);
    CHECK(net.stats(a, "echo").retried == 0);
    CHECK(net.stats(a, "echo").queued == 1);
    CHECK(net.broker(b).client_count() == 1); // B's own client only
}

TEST_CASE("a peer that refused a request advertises the service again a heartbeat later, "
          "so a passing overload does not cost its route for good",
          "[federation]") {
    broker_config_t config = federation_config("B");
    config.request_timeout = 2000ms;
    network_t net;
    const auto a = net.add("A"), b = net.add("B", config);
    net.ready(b, "wb", "echo");
    net.open(a, b);
    net.run();
    net.request(b, "local", "echo", {"b's own"});
    net.request(a, "c1", "echo", {"1"});
    net.run();
    net.advance(2500ms); // c1 expires at B: refused, and A drops the route
    REQUIRE(net.broker(a).counters().refused_by_peers == 1);
    CHECK(routes_of(net, a, "echo").empty());
    serve(net, b, "wb"); // B's worker is free again
    net.run();
    net.advance(1000ms); // one heartbeat interval
    CHECK(usable_routes(net, a, "echo") == 1);
    serve(net, b, "wb");
    net.run();
    CHECK(replies_to(net[a], "c1").size() == 1);
    // Refusals for a service B cannot serve at all bring no route back.
    const std::size_t routes_before = net.crossed(peering::command::route).size();
    net.request(a, "c2", "echo", {"2"});
    net.worker_disconnect(b, "wb"); // before c2 arrives
    net.run();
    REQUIRE(net.broker(a).counters().refused_by_peers == 2);
    net.advance(3000ms);
    CHECK(net.crossed(peering::command::route).size() == routes_before);
    CHECK(routes_of(net, a, "echo").empty());
}

TEST_CASE("a peer's requests waiting here are dropped when its link goes down", "[federation]") {
    network_t net;
    const auto a = net.add("A"), b = net.add("B");
    net.ready(b, "wb", "echo");
    const auto wire = net.open(a, b);
    net.run();
    net.request(b, "local", "echo", {"b's own"});
    net.run();
    // B's worker is busy: what A sends waits at B (A's capacity there is 1, so one).
    net.request(a, "c1", "echo", {"1"});
    net.run();
    REQUIRE(net.stats(b, "echo").queued == 1);
    net.close(wire);
    CHECK(net.stats(b, "echo").queued == 0);
    CHECK(net.broker(b).counters().abandoned == 1);
    CHECK(net.stats(a, "echo").queued == 1); // A has it back
    serve(net, b, "wb");
    CHECK(replies_to(net[b], "local").size() == 1);
    CHECK(net.broker(b).client_count() == 0);
}

TEST_CASE("an unanswered HELLO is said again every 200 ms; the link is up as soon as one "
          "gets through",
          "[federation]") {
    network_t net;
    const auto a = net.add("A"), b = net.add("B");
    const auto wire = net.open(a, b, true);
    net.advance(1000ms);
    const std::size_t hellos = net.crossed(peering::command::hello).size();
    CHECK(hellos >= 5);
    CHECK(hellos <= 7);
    CHECK(net.broker(a).links_up() == 0);
    net.wires[wire].cut = false;
    const time_point_t healed = net.now;
    while (net.broker(a).links_up() == 0) {
        net.tick();
        REQUIRE(net.now - healed <= 1s);
    }
    CHECK(net.now - healed <= 200ms);
    CHECK(net.broker(b).links_up() == 1);
}

// ---------------------------------------------------------------------------------------
// Path vectors: no loops, no duplicates

TEST_CASE("triangle: requests from every broker are served, no broker visited twice",
          "[federation]") {
    network_t net;
    net.add_many(3);
    full_mesh(net);
    net.ready(2, "wc", "echo");
    net.run();
    for (std::size_t node = 0; node < 3; ++node) {
        net.request(node, "client", "echo", {"from " + std::to_string(node)});
        net.run();
        serve(net, 2, "wc");
        net.run();
        INFO("client at broker " << node);
        CHECK(replies_to(net[node], "client").size() == 1);
    }
    check_request_paths(net);
    // The one-hop route is preferred over the two-hop one through the third broker.
    for (const crossed_t& request : net.crossed(peering::command::request))
        CHECK(request.to == 2);
}

TEST_CASE("full mesh of 4 and 5: no request visits a broker twice, and a withdrawal ends "
          "everywhere in a bounded number of deliveries",
          "[federation]") {
    const std::size_t size = GENERATE(4, 5);
    INFO(size << " brokers");
    network_t net;
    net.add_many(size);
    full_mesh(net);
    const std::size_t last = size - 1;
    net.ready(last, "w", "echo");
    net.run();
    for (std::size_t node = 0; node < size; ++node) {
        CHECK(mmi_service(net, node, "echo") == "200");
        if (node != last) CHECK(usable_routes(net, node, "echo") >= 1);
    }
    // A burst from every broker at once: some wait, some go two or three hops round the
    // busy worker's broker.
    for (std::size_t node = 0; node < size; ++node)
        for (int i = 0; i < 3; ++i)
            net.request(node, "client" + std::to_string(i), "echo", {std::to_string(node)});
    net.run();
    for (std::size_t served = 0; served < 3 * size; ++served) {
        serve(net, last, "w");
        net.run();
    }
    std::size_t replies = 0;
    for (std::size_t node = 0; node < size; ++node)
        for (int i = 0; i < 3; ++i)
            replies += replies_to(net[node], "client" + std::to_string(i)).size();
    CHECK(replies == 3 * size);
    check_request_paths(net);

    // The only worker leaves: every broker ends with no route, and no advertisement goes on
    // circling (bounded, and nothing left in transit).
    net.worker_disconnect(last, "w");
    const std::size_t deliveries = net.run(20 * size * size);
    CHECK(deliveries <= 4 * size * size);
    CHECK(net.in_transit() == 0);
    for (std::size_t node = 0; node < size; ++node) {
        INFO("broker " << node);
        CHECK(routes_of(net, node, "echo").empty());
        CHECK(mmi_service(net, node, "echo") == "404");
    }
    // And nothing stirs later but heartbeats.
    const std::size_t routes_before = net.crossed(peering::command::route).size();
    const std::size_t withdrawals_before = net.crossed(peering::command::withdraw).size();
    net.advance(5s);
    CHECK(net.crossed(peering::command::route).size() == routes_before);
    CHECK(net.crossed(peering::command::withdraw).size() == withdrawals_before);
}

TEST_CASE("chain A-B-C: max_hops 1 keeps C's service from A, max_hops 2 lets it through B",
          "[federation]") {
    const std::size_t max_hops = GENERATE(1, 2);
    INFO("max_hops " << max_hops);
    broker_config_t config = federation_config("A");
    config.max_hops = max_hops;
    network_t net;
    net.add_many(3, config);
    const std::size_t a = 0, b = 1, c = 2;
    net.open(a, b);
    net.open(b, c);
    net.ready(c, "wc", "echo");
    net.run();
    CHECK(usable_routes(net, b, "echo") == 1);
    net.request(a, "client", "echo", {"far"});
    net.run();
    if (max_hops == 1) {
        CHECK(routes_of(net, a, "echo").empty());
        CHECK(mmi_service(net, a, "echo") == "404");
        CHECK(net.stats(a, "echo").queued == 1); // it waits for a worker of A's own
        CHECK(requests_for(net[c], "wc") == 0);
        return;
    }
    const auto routes = routes_of(net, a, "echo");
    REQUIRE(routes.size() == 1);
    CHECK(routes[0]["hops"].as_uint64() == 2);
    serve(net, c, "wc");
    net.run();
    CHECK(replies_to(net[a], "client") ==
          std::vector<frames_t>{to_client_v01("client", "echo", {"re:far"})});
    const auto requests = net.crossed(peering::command::request);
    REQUIRE(requests.size() == 2);
    CHECK(requests[1].to == c);
    CHECK(requests[1].frames[4] == net.broker(a).broker_id() + net.broker(b).broker_id());
    check_request_paths(net);
}

// ---------------------------------------------------------------------------------------
// Links that go away

TEST_CASE("a silent peer is down after heartbeat_liveness intervals, to the tick; its "
          "requests are served by another peer; it is back when it speaks again",
          "[federation]") {
    network_t net;
    const auto a = net.add("A"), b = net.add("B"), c = net.add("C");
    net.ready(b, "wb", "echo");
    net.ready(c, "wc", "echo");
    const auto to_b = net.open(a, b);
    net.open(a, c);
    net.run();
    net.advance(1500ms); // heartbeats under way

    net.request(a, "c1", "echo", {"1"});
    net.request(a, "c2", "echo", {"2"});
    net.run();
    REQUIRE(requests_for(net[b], "wb") == 1);
    REQUIRE(requests_for(net[c], "wc") == 1);
    const frames_t at_b = take_request(net[b], "wb");
    const std::string held_by_b = at_b[6];

    // B goes silent: nothing crosses the wire either way, and no event says so.
    net.wires[to_b].cut = true;
    time_point_t last_heard{};
    for (const crossed_t& message : net.log)
        if (message.from == b) last_heard = message.at;
    const auto liveness = 3 * 1000ms;
    time_point_t before = net.now;
    while (net.broker(a).links_up() == 2) {
        before = net.now;
        net.tick();
        REQUIRE(net.now - last_heard <= liveness + 1s);
    }
    INFO("down " << (net.now - last_heard).count() << " after last heard");
    CHECK(net.now - last_heard >= liveness);
    CHECK(before - last_heard < liveness); // the tick before was still within it
    CHECK(net.broker(a).counters().links_lost == 1);
    CHECK(net.broker(a).counters().retried == 1);
    CHECK(usable_routes(net, a, "echo") == 1);
    CHECK(net.stats(a, "echo").queued == 1); // C has no room until its request is done

    serve(net, c, "wc");
    net.run();
    const frames_t again = take_request(net[c], "wc"); // B's request, served by C
    CHECK(again[6] == held_by_b);
    net.reply(c, "wc", again[4], {"from c"});
    net.run();
    CHECK(replies_to(net[a], "c1").size() == 1);
    CHECK(replies_to(net[a], "c2").size() == 1);

    // B speaks again: A's HELLO gets through, routes come back.
    net.wires[to_b].cut = false;
    net.advance(1s);
    CHECK(net.broker(a).links_up() == 2);
    CHECK(usable_routes(net, a, "echo") == 2);
    // B's worker answering the request A took back reaches nobody twice.
    net.reply(b, "wb", at_b[4], {"late"});
    net.run();
    CHECK(net.broker(b).counters().unroutable_replies == 1);
    CHECK(replies_to(net[a], "c1").empty());
    CHECK(replies_to(net[a], "c2").empty());
}

TEST_CASE("a link whose connection closes is down at once, its requests requeued", "[federation]") {
    network_t net;
    const auto a = net.add("A"), b = net.add("B");
    net.ready(b, "wb", "echo");
    const auto wire = net.open(b, a); // A accepted: A hears of the close from its monitor
    net.run();
    net.request(a, "c1", "echo", {"1"});
    net.run();
    REQUIRE(requests_for(net[b], "wb") == 1);
    CHECK(mmi_service(net, a, "echo") == "200");

    net.close(wire);
    CHECK(net.broker(a).links_up() == 0);
    CHECK(net.broker(b).links_up() == 0);
    CHECK(net.broker(a).counters().links_lost == 1);
    CHECK(net.stats(a, "echo").queued == 1);
    CHECK(net.stats(a, "echo").retried == 1);
    CHECK(mmi_service(net, a, "echo") == "404");
    net.ready(a, "wa", "echo");
    serve(net, a, "wa", "local:");
    CHECK(replies_to(net[a], "c1") ==
          std::vector<frames_t>{to_client_v01("c1", "echo", {"local:1"})});

    // The opener reconnects: the link comes back up on a new connection.
    net.reconnect(wire);
    net.run();
    CHECK(net.broker(a).links_up() == 1);
    CHECK(net.broker(b).links_up() == 1);
}

TEST_CASE("a worker answering a request of a peer whose link went down keeps its place",
          "[federation]") {
    network_t net;
    const auto a = net.add("A"), b = net.add("B");
    net.ready(b, "wb", "echo");
    net.ready(b, "wb2", "echo");
    const auto wire = net.open(b, a); // B's name for the link stays across reconnections
    net.run();
    net.request(a, "c1", "echo", {"1"});
    net.request(a, "c2", "echo", {"2"});
    net.run();
    const frames_t first = take_request(net[b], "wb");
    const frames_t second = take_request(net[b], "wb2");

    net.close(wire); // A takes its requests back; B drops the link's client
    net.reconnect(wire);
    net.run();
    REQUIRE(net.broker(b).links_up() == 1);
    // The late reply is for nobody now: counted, and the worker is not blamed for it.
    net.reply(b, "wb", first[4], {"late"});
    net.run();
    CHECK(net.broker(b).counters().unroutable_replies == 1);
    CHECK(net.broker(b).counters().protocol_errors == 0);
    CHECK(net.broker(b).counters().disconnects_sent == 0);
    CHECK(net.broker(b).worker_count() == 2);
    // The other worker dies holding the other one: it is not served again at B (A has it).
    const std::uint64_t retried = net.broker(b).counters().retried;
    const std::uint64_t abandoned = net.broker(b).counters().abandoned;
    net.worker_disconnect(b, "wb2");
    net.run();
    CHECK(net.broker(b).counters().retried == retried);
    CHECK(net.broker(b).counters().abandoned == abandoned + 1);
    (void)second;
    // A's requests, taken back, are served on the link that came back.
    for (int i = 0; i < 2; ++i) {
        serve(net, b, "wb");
        net.run();
    }
    CHECK(replies_to(net[a], "c1").size() == 1);
    CHECK(replies_to(net[a], "c2").size() == 1);
    CHECK(net.broker(b).counters().protocol_errors == 0);
}

TEST_CASE("a transit request refused after its peer's link went down is dropped, not served",
          "[federation]") {
    network_t net;
    net.add_many(3);
    const std::size_t a = 0, b = 1, c = 2;
    const auto a_to_b = net.open(a, b);
    net.open(b, c);
    net.ready(c, "wc", "echo");
    net.run();
    net.request(a, "client", "echo", {"far"});
    net.deliver_one();              // A's request reaches B, which passes it on to C...
    net.worker_disconnect(c, "wc"); // ...whose worker leaves before it arrives
    net.close(a_to_b);              // and A takes it back
    net.run();
    CHECK(net.broker(c).counters().refused_to_peers == 1);
    CHECK(net.broker(b).counters().refused_by_peers == 1);
    CHECK(net.broker(b).counters().abandoned == 1);
    // A worker coming to B later is not given a request nobody waits for at B.
    net.ready(b, "wb", "echo");
    net.run();
    CHECK(requests_for(net[b], "wb") == 0);
    CHECK(net.broker(b).counters().protocol_errors == 0);
}

TEST_CASE("a peer's request stranded at a transit broker that lost every way to serve it goes "
          "back to its broker at once",
          "[federation]") {
    network_t net;
    net.add_many(3);
    const std::size_t a = 0, b = 1, c = 2;
    net.open(a, b);
    net.open(b, c);
    net.ready(c, "wc", "echo");
    net.run();
    // B's own client takes C's one place; A's request then waits at B for room at C.
    net.request(b, "b-client", "echo", {"from b"});
    net.run();
    net.request(a, "a-client", "echo", {"from a"});
    net.run();
    REQUIRE(net.stats(b, "echo").queued == 1);
    // C's worker leaves holding B's request: C can serve nothing, B has no way left.
    net.worker_disconnect(c, "wc");
    net.run();
    // Both go back where they came from at once, not after request_timeout: C hands B's
    // request back to B, B hands A's back to A; each waits in its own broker's queue.
    CHECK(net.broker(c).counters().refused_to_peers == 1);
    CHECK(net.broker(b).counters().refused_to_peers == 1);
    CHECK(net.broker(a).counters().refused_by_peers == 1);
    CHECK(net.stats(a, "echo").queued == 1);
    CHECK(net.stats(b, "echo").queued == 1);
    CHECK(net.stats(c, "echo").queued == 0);
    // A worker on A now serves A's own request; nothing was lost or answered twice.
    net.ready(a, "wa", "echo");
    serve(net, a, "wa");
    net.run();
    CHECK(replies_to(net[a], "a-client").size() == 1);
    check_request_paths(net);
}

TEST_CASE("a worker dropped for an invalid message is withdrawn from peers at once",
          "[federation]") {
    network_t net;
    const auto a = net.add("A"), b = net.add("B");
    net.ready(b, "wb", "echo");
    net.open(a, b);
    net.run();
    REQUIRE(mmi_service(net, a, "echo") == "200");
    net.broker(b).on_invalid_message("wb", net.now); // it sent more than max_frames
    net.run();
    CHECK(net.broker(b).worker_count() == 0);
    CHECK(net.crossed(peering::command::withdraw).size() == 1);
    CHECK(mmi_service(net, a, "echo") == "404");
}

TEST_CASE("a link that fails a send is taken down at once, its routes withdrawn from others",
          "[federation]") {
    network_t net;
    const auto a = net.add("A"), b = net.add("B"), c = net.add("C");
    net.ready(b, "wb", "echo");
    const auto a_to_b = net.open(a, b);
    net.open(c, a);
    net.run();
    REQUIRE(usable_routes(net, c, "echo") == 1); // through A
    // A's connection to B is gone, and no event has said so yet: the next send fails.
    net.wires[a_to_b].connected = false;
    net.request(a, "client", "echo", {"1"});
    net.run();
    CHECK(net.broker(a).counters().links_lost == 1);
    CHECK(net.broker(a).links_up() == 1);
    CHECK(net.stats(a, "echo").queued == 1); // never left: no retry counted
    CHECK(net.stats(a, "echo").retried == 0);
    CHECK(routes_of(net, c, "echo").empty());
}

TEST_CASE("a peer that reconnects before we notice its old connection closed: the new link "
          "carries our requests",
          "[federation]") {
    network_t net;
    const auto a = net.add("A"), b = net.add("B");
    net.ready(b, "wb", "echo");
    const auto wire = net.open(b, a);
    net.run();
    // B sees its connection fail and reconnects; A's ROUTER has not noticed the old one is
    // dead (a half-open TCP connection), so A holds two links up to B for a while.
    net.broker(b).on_link_disconnected(net.wires[wire].link_id, net.now);
    net.reconnect(wire);
    net.run();
    CHECK(net.broker(a).links_up() == 2);
    net.request(a, "client", "echo", {"1"});
    net.run();
    CHECK(requests_for(net[b], "wb") == 1); // not sent into the old, dead connection
    serve(net, b, "wb");
    net.run();
    CHECK(replies_to(net[a], "client").size() == 1);
}

TEST_CASE("a route withdrawn and advertised again while our requests are still at the peer "
          "counts them against its capacity",
          "[federation]") {
    network_t net;
    const auto a = net.add("A"), b = net.add("B");
    net.ready(b, "wb1", "echo");
    net.open(a, b);
    net.run();
    net.request(a, "c1", "echo", {"1"});
    net.request(a, "c2", "echo", {"2"});
    net.run();
    REQUIRE(requests_for(net[b], "wb1") == 1);
    net[b].take_all();
    // B's worker leaves (B withdraws echo, A's request waits at B), then another comes (B
    // advertises echo again, capacity 1): A's first request is still at B, so A sends no second.
    net.worker_disconnect(b, "wb1");
    net.run();
    CHECK(routes_of(net, a, "echo").empty());
    net.ready(b, "wb2", "echo");
    net.run();
    REQUIRE(usable_routes(net, a, "echo") == 1);
    CHECK(requests_for(net[b], "wb2") == 1);
    CHECK(net.stats(b, "echo").queued == 0);
    CHECK(net.stats(a, "echo").queued == 1);
    CHECK(routes_of(net, a, "echo")[0]["in_flight"].as_uint64() == 1);
    for (int i = 0; i < 2; ++i) {
        serve(net, b, "wb2");
        net.run();
    }
    CHECK(replies_to(net[a], "c1").size() == 1);
    CHECK(replies_to(net[a], "c2").size() == 1);
    CHECK(routes_of(net, a, "echo")[0]["in_flight"].as_uint64() == 0);
}

TEST_CASE("a peer's request that runs out of retries here is handed back, and counts as a "
          "retry at its broker",
          "[federation]") {
    const int origin_retries = GENERATE(0, 3);
    INFO("A's max_retries " << origin_retries);
    broker_config_t config_a = federation_config("A"), config_b = federation_config("B");
    config_a.max_retries = origin_retries;
    config_b.max_retries = 0; // B fails a request at its first dead worker
    network_t net;
    const auto a = net.add("A", config_a), b = net.add("B", config_b);
    net.ready(b, "wb", "echo");
    net.open(a, b);
    net.run();
    net.request(a, "c1", "echo", {"1"});
    net.run();
    REQUIRE(requests_for(net[b], "wb") == 1);
    net.worker_disconnect(b, "wb");
    net.run();
    CHECK(net.broker(b).counters().failed == 1);
    const auto refusals = net.crossed(peering::command::refuse);
    REQUIRE(refusals.size() == 1);
    CHECK(refusals[0].frames[3] == "failed");
    CHECK(net.stats(a, "echo").in_flight == 0); // not held at A's link for ever
    if (origin_retries == 0) {
        CHECK(net.broker(a).counters().failed == 1);
        CHECK(net.stats(a, "echo").queued == 0);
        CHECK(net.broker(a).client_count() == 0);
        return;
    }
    CHECK(net.broker(a).counters().retried == 1);
    CHECK(net.stats(a, "echo").queued == 1);
    net.ready(a, "wa", "echo");
    serve(net, a, "wa");
    CHECK(replies_to(net[a], "c1").size() == 1);
}

TEST_CASE("REFUSE puts the request back without counting a retry and drops that route",
          "[federation]") {
    network_t net;
    const auto a = net.add("A"), b = net.add("B"), c = net.add("C");
    net.ready(b, "wb", "echo");
    net.open(a, b);
    net.open(a, c);
    net.run();
    // A sends its request to B; before it arrives, B's only worker leaves: B refuses it.
    net.request(a, "c1", "echo", {"1"});
    net.worker_disconnect(b, "wb");
    net.run();
    const auto refusals = net.crossed(peering::command::refuse);
    REQUIRE(refusals.size() == 1);
    CHECK(refusals[0].from == b);
    CHECK(refusals[0].frames[3] == "no route");
    CHECK(net.broker(b).counters().refused_to_peers == 1);
    CHECK(net.broker(a).counters().refused_by_peers == 1);
    CHECK(net.broker(a).counters().retried == 0);
    CHECK(net.stats(a, "echo").retried == 0);
    CHECK(net.stats(a, "echo").queued == 1);
    CHECK(net.stats(a, "echo").in_flight == 0);
    // It is served once a route comes: C gets a worker.
    net.ready(c, "wc", "echo");
    net.run();
    serve(net, c, "wc");
    net.run();
    CHECK(replies_to(net[a], "c1").size() == 1);
}

TEST_CASE("a peer's request for a service with no workers and no route is refused",
          "[federation]") {
    network_t net;
    const auto a = net.add("A"), b = net.add("B");
    const auto wire = net.open(b, a);
    net.run();
    const std::string id = peering::encode_u64(42);
    net.inject_at_acceptor(wire, {"ZDPB01", cmd(peering::command::request), id, "nothing",
                                  net.broker(b).broker_id(), "body"});
    auto refusals = net.crossed(peering::command::refuse);
    REQUIRE(refusals.size() == 1);
    CHECK(refusals[0].from == a);
    CHECK(refusals[0].frames[2] == id);
    CHECK(refusals[0].frames[3] == "no route");
    CHECK(net.broker(a).counters().refused_to_peers == 1);
    CHECK(net.stats(a, "nothing").queued == 0);
    // Nor does a peer get to use mmi.*, or send a request that passed A already, or one
    // further than max_hops.
    net.inject_at_acceptor(wire, {"ZDPB01", cmd(peering::command::request), id, "mmi.service",
                                  net.broker(b).broker_id(), "echo"});
    net.inject_at_acceptor(wire, {"ZDPB01", cmd(peering::command::request), id, "nothing",
                                  net.broker(a).broker_id() + net.broker(b).broker_id(), "x"});
    net.inject_at_acceptor(wire,
                           {"ZDPB01", cmd(peering::command::request), id, "nothing",
                            "11111111222222223333333" + net.broker(b).broker_id() + "1", "x"});
    refusals = net.crossed(peering::command::refuse);
    REQUIRE(refusals.size() == 4);
    CHECK(refusals[1].frames[3] == "mmi is per broker");
    CHECK(refusals[2].frames[3] == "loop");
    CHECK(refusals[3].frames[3] == "too many hops");
    // B hears refusals of requests it never sent: stale, counted, harmless.
    net.run();
    CHECK(net.broker(b).counters().stale_peer_replies == 4);
}

TEST_CASE("mmi.service: 200 through a peer, 404 once the peer's worker is gone", "[federation]") {
    network_t net;
    const auto a = net.add("A"), b = net.add("B");
    net.open(a, b);
    net.run();
    CHECK(mmi_service(net, a, "echo") == "404");
    net.ready(b, "wb", "echo");
    net.run();
    CHECK(mmi_service(net, a, "echo") == "200");
    net.worker_disconnect(b, "wb");
    net.run();
    CHECK(mmi_service(net, a, "echo") == "404");
    CHECK(net.crossed(peering::command::withdraw).size() == 1);
}

TEST_CASE("both brokers name each other: one active link each way, capacity counted once",
          "[federation]") {
    network_t net;
    const auto a = net.add("A"), b = net.add("B");
    net.ready(b, "wb", "echo");
    const auto a_to_b = net.open(a, b);
    const auto b_to_a = net.open(b, a);
    net.run();
    CHECK(net.broker(a).links_up() == 2);
    CHECK(net.broker(b).links_up() == 2);
    for (std::size_t node : {a, b}) {
        const auto stats = stats_of(net, node);
        std::size_t active = 0;
        for (const auto& link : stats["links"].items) {
            CHECK(link["up"].boolean);
            if (link["active"].boolean) {
                ++active;
                CHECK(link["initiated"].boolean); // each sends on the link it opened
            }
        }
        CHECK(active == 1);
    }
    CHECK(routes_of(net, a, "echo").size() == 2); // learned on both links...
    CHECK(usable_routes(net, a, "echo") == 1);    // ...used on one

    for (int i = 0; i < 3; ++i)
        net.request(a, "c" + std::to_string(i), "echo", {std::to_string(i)});
    net.run();
    CHECK(requests_for(net[b], "wb") == 1);
    CHECK(net.stats(b, "echo").queued == 0);
    CHECK(net.stats(a, "echo").queued == 2);
    for (int i = 0; i < 3; ++i) {
        serve(net, b, "wb");
        net.run();
    }
    for (const crossed_t& request : net.crossed(peering::command::request)) {
        CHECK(request.from == a);
        CHECK(request.wire == a_to_b); // on the link A opened
    }
    CHECK(replies_to(net[a], "c0").size() == 1);
    CHECK(replies_to(net[a], "c2").size() == 1);

    // The link A opened goes: the one B opened carries A's requests now.
    net.close(a_to_b);
    CHECK(net.broker(a).links_up() == 1);
    CHECK(usable_routes(net, a, "echo") == 1);
    net.request(a, "c9", "echo", {"9"});
    net.run();
    CHECK(net.crossed(peering::command::request).back().wire == b_to_a);
    serve(net, b, "wb");
    net.run();
    CHECK(replies_to(net[a], "c9").size() == 1);
}

TEST_CASE("a link to this broker itself is refused and goes quiet", "[federation]") {
    network_t net;
    const auto a = net.add("A");
    net.ready(a, "wa", "echo");
    net.open(a, a);
    net.run();
    net.advance(5s);
    CHECK(net.broker(a).links_up() == 0);
    CHECK(routes_of(net, a, "echo").empty());
    // It said HELLO, was answered by itself, and stops: no HELLO every 200 ms forever.
    CHECK(net.crossed(peering::command::hello).size() == 2);
    const auto stats = stats_of(net, a);
    REQUIRE(stats["links"].items.size() == 1); // the accepted end is not kept
    CHECK(stats["links"].items[0]["initiated"].boolean);
    CHECK_FALSE(stats["links"].items[0]["up"].boolean);
}

// ---------------------------------------------------------------------------------------
// Malformed and unexpected peering input

TEST_CASE("malformed peering messages are counted in peer_errors and change nothing",
          "[federation]") {
    network_t net;
    const auto a = net.add("A"), b = net.add("B");
    net.ready(a, "wa", "echo");
    const auto wire = net.open(b, a);
    net.run();
    REQUIRE(net.broker(a).links_up() == 1);
    const std::string id = peering::encode_u64(1);
    const std::vector<frames_t> malformed{
        {"ZDPB01"}, // the header alone: a peering message without its command
        {"ZDPB01", byte(0x09)},
        {"ZDPB01", ""},
        {"ZDPB01", cmd(peering::command::heartbeat), "extra"},
        {"ZDPB01", cmd(peering::command::hello), "short", "B", byte(0)},
        {"ZDPB01", cmd(peering::command::route), "echo", "\x01", "12345678"},
        {"ZDPB01", cmd(peering::command::route), "echo", peering::encode_u32(1), "1234567"},
        {"ZDPB01", cmd(peering::command::withdraw), ""},
        {"ZDPB01", cmd(peering::command::request), id, "echo", "", "x"},
        {"ZDPB01", cmd(peering::command::reply), id, byte(7), "x"},
        {"ZDPB01", cmd(peering::command::refuse), id},
    };
    std::uint64_t errors = 0;
    for (const frames_t& frames : malformed) {
        net.inject_at_acceptor(wire, frames);
        net.inject_at_opener(wire, frames);
        errors += 1;
        CHECK(net.broker(a).counters().peer_errors == errors);
        CHECK(net.broker(b).counters().peer_errors == errors);
    }
    net.run();
    CHECK(net.broker(a).links_up() == 1);
    CHECK(net.broker(b).links_up() == 1);
    CHECK(net.broker(a).counters().protocol_errors == 0);
    CHECK(net.broker(a).worker_count() == 1);

    // Peering from someone who never said HELLO, and MDP on a link, are errors too.
    net.receive(a, {"stranger", "ZDPB01", cmd(peering::command::heartbeat)});
    net.receive(a, {"stranger", "ZDPB01", cmd(peering::command::request), id, "echo",
                    net.broker(b).broker_id(), "x"});
    CHECK(net.broker(a).counters().peer_errors == errors + 2);
    net.inject_at_acceptor(wire, {"", "MDPC01", "echo", "x"});
    CHECK(net.broker(a).counters().peer_errors == errors + 3);
    // A client or worker may not turn into a link.
    net.receive(
        a, {"wa", "ZDPB01", cmd(peering::command::hello), net.broker(b).broker_id(), "B", byte(0)});
    CHECK(net.broker(a).counters().peer_errors == errors + 4);
    CHECK(net.broker(a).links_up() == 1);
    CHECK(requests_for(net[a], "wa") == 0);
}

TEST_CASE("well-formed but wrong peering messages are ignored: routes through this broker, "
          "routes another broker advertises, replies to nothing",
          "[federation]") {
    network_t net;
    const auto a = net.add("A"), b = net.add("B");
    const auto wire = net.open(b, a);
    net.run();
    const std::string capacity = peering::encode_u32(5);
    const std::string a_id = net.broker(a).broker_id(), b_id = net.broker(b).broker_id();
    net.inject_at_acceptor(wire,
                           {"ZDPB01", cmd(peering::command::route), "loop", capacity, b_id + a_id,
                            "other", capacity, "XXXXXXXX", "mmi.echo", capacity, b_id, "zero",
                            peering::encode_u32(0), b_id, "good", capacity, b_id});
    CHECK(routes_of(net, a, "loop").empty());
    CHECK(routes_of(net, a, "other").empty());
    CHECK(routes_of(net, a, "mmi.echo").empty());
    CHECK(routes_of(net, a, "zero").empty());
    REQUIRE(routes_of(net, a, "good").size() == 1);
    // A ROUTE it cannot use replaces the one it had.
    net.inject_at_acceptor(wire,
                           {"ZDPB01", cmd(peering::command::route), "good", capacity, b_id + a_id});
    CHECK(routes_of(net, a, "good").empty());
    // Replies and refusals for requests it never sent.
    net.inject_at_acceptor(
        wire, {"ZDPB01", cmd(peering::command::reply), peering::encode_u64(77), byte(1), "x"});
    net.inject_at_acceptor(wire,
                           {"ZDPB01", cmd(peering::command::refuse), peering::encode_u64(78), ""});
    CHECK(net.broker(a).counters().stale_peer_replies == 2);
    CHECK(net.broker(a).counters().replies == 0);
    CHECK(net.broker(a).counters().peer_errors == 0);
}

// ---------------------------------------------------------------------------------------
// Everything at once

namespace {

// A random fabric: requests, workers coming and going, links closing, partitions, time
// passing, messages delivered in bits. Clients are 0.1 REQ sockets, one request each.
struct chaos_t {
    network_t net;
    std::mt19937 random;
    std::map<std::string, std::size_t> replies;          // by request body
    std::map<std::string, std::deque<frames_t>> pending; // by worker: its requests
    std::vector<std::vector<std::string>> workers;       // live, by broker
    std::size_t next_worker = 0, next_request = 0;
    std::vector<bool> closed;
    std::map<std::size_t, time_point_t> held_since;
    bool clients_leave = false; // connections of clients close (their requests may be dropped)
    std::map<int, std::uint64_t> client_generation;

    // Clients come on a few connections per broker; one that closed is replaced by a new one.
    connection_t client_connection(std::size_t node) {
        const int fd = int(500 + node * 10 + (next_request % 3));
        return connection_t{fd, 1 + client_generation[fd]};
    }

    // By default nothing fails for retries or expires: every request must be answered.
    explicit chaos_t(unsigned seed, int max_retries = 1000, milliseconds_t timeout = 3600s)
        : random(seed) {
        broker_config_t config = federation_config("A");
        config.max_retries = max_retries;
        config.request_timeout = timeout;
        config.max_queue = 0;
        config.worker_credit = 1 + pick(2);
        config.max_hops = 1 + pick(3);
        net.add_many(4, config);
        workers.resize(4);
        // Pairs linked one way, the other, both (two links), or not at all (through others).
        for (std::size_t i = 0; i < 4; ++i)
            for (std::size_t j = i + 1; j < 4; ++j) {
                const std::size_t how = pick(4);
                if (how & 1) net.open(i, j);
                if (how & 2) net.open(j, i);
            }
        closed.assign(net.wires.size(), false);
        for (std::size_t node = 0; node < 4; ++node)
            if (pick(2)) add_worker(node);
    }
    std::size_t pick(std::size_t n) { return std::size_t(random() % n); }

    void add_worker(std::size_t node) {
        const std::string name = "w" + std::to_string(next_worker++);
        workers[node].push_back(name);
        net.ready(node, name, "echo");
    }
    // What brokers sent to clients and workers: replies counted, requests handed to workers.
    void collect() {
        for (std::size_t node = 0; node < net.nodes.size(); ++node)
            for (const frames_t& message : net[node].take_all()) {
                if (is_worker_request(message, message[0])) {
                    if (std::count(workers[node].begin(), workers[node].end(), message[0]))
                        pending[message[0]].push_back(message);
                } else if (message.size() == 5 && message[2] == "MDPC01") {
                    const std::size_t count = ++replies[message[4]];
                    INFO("reply " << message[4]);
                    REQUIRE(count == 1); // a client never gets two replies
                }
            }
    }
    void serve_one(std::size_t node) {
        for (const std::string& worker : workers[node]) {
            auto& queue = pending[worker];
            if (queue.empty()) continue;
            const frames_t request = queue.front();
            queue.pop_front();
            net.reply(node, worker, request[4], {request[6]});
            return;
        }
    }
    void step() {
        const std::size_t node = pick(4);
        switch (pick(10)) {
        case 0:
        case 1: {
            const std::string tag = "r" + std::to_string(next_request++);
            net.request(node, "client-" + tag, "echo", {tag}, v01, client_connection(node));
            replies[tag];
            break;
        }
        case 2:
        case 3:
            serve_one(node);
            break;
        case 4:
            if (workers[node].size() < 2) add_worker(node);
            break;
        case 5:
            if (!workers[node].empty()) {
                const std::string worker = workers[node][pick(workers[node].size())];
                std::erase(workers[node], worker);
                pending.erase(worker);
                net.worker_disconnect(node, worker);
            }
            break;
        case 6:
            if (!net.wires.empty()) {
                const std::size_t wire = pick(net.wires.size());
                if (closed[wire])
                    net.reconnect(wire);
                else
                    net.close(wire);
                closed[wire] = !closed[wire];
            }
            break;
        case 7: // a connection stalls, or comes back from a stall
            if (!net.wires.empty()) {
                const std::size_t index = pick(net.wires.size());
                auto& stalled = net.wires[index];
                if (!stalled.held) {
                    stalled.held = true;
                    held_since[index] = net.now;
                    break;
                }
                stalled.held = false;
                // Stalled as long as the links' liveness: ZMTP heartbeats closed it (what
                // it held is lost), and the DEALER connects again.
                if (net.now - held_since[index] >= 3s && !closed[index]) {
                    net.close(index);
                    net.reconnect(index);
                }
            }
            break;
        case 8:
            net.advance(milliseconds_t(pick(1500)));
            break;
        case 9:
            for (std::size_t i = pick(8); i > 0 && net.deliver_one(); --i) {
            }
            if (clients_leave && pick(4) == 0) { // a connection of clients closes
                const connection_t gone = client_connection(node);
                ++client_generation[gone.fd];
                net.broker(node).on_connection_closed(gone, net.now);
            }
            break;
        }
        collect();
    }
    // Whether no broker holds a request any more (queued, at a worker or at a peer).
    bool settled() {
        for (std::size_t node = 0; node < net.nodes.size(); ++node) {
            std::size_t held = 0;
            net.broker(node).for_each_service(
                [&](const service_stats_t& stats) { held += stats.queued + stats.in_flight; });
            if (held > 0) return false;
        }
        return true;
    }
    // Heals everything and serves until every request is answered.
    void heal() {
        for (std::size_t wire = 0; wire < net.wires.size(); ++wire) {
            net.wires[wire].held = false;
            if (closed[wire]) net.reconnect(wire);
            closed[wire] = false;
        }
        for (std::size_t node = 0; node < 4; ++node)
            if (workers[node].empty()) add_worker(node);
        for (int round = 0; round < 2000; ++round) {
            net.run();
            collect();
            for (std::size_t node = 0; node < 4; ++node)
                serve_one(node);
            net.run();
            collect();
            if (round % 10 == 0) net.advance(300ms);
            if (std::all_of(replies.begin(), replies.end(),
                            [](const auto& reply) { return reply.second == 1; }))
                return;
            if (round > 200 && settled()) return; // what is left was dropped, not forgotten
        }
    }
};

} // namespace

TEST_CASE("a random fabric with links and workers coming and going answers every request "
          "exactly once",
          "[federation]") {
    const unsigned seed = GENERATE(range(1u, 41u));
    INFO("seed " << seed);
    chaos_t chaos(seed);
    for (int step = 0; step < 600; ++step)
        chaos.step();
    chaos.heal();
    for (const auto& [tag, count] : chaos.replies) {
        INFO("request " << tag);
        CHECK(count == 1);
    }
    check_request_paths(chaos.net);
}

TEST_CASE("a random fabric where requests expire and retries run out: never two replies, and "
          "nothing is left held anywhere",
          "[federation]") {
    const unsigned seed = GENERATE(range(100u, 120u));
    INFO("seed " << seed);
    chaos_t chaos(seed, 1, 2000ms);
    chaos.clients_leave = seed % 2 == 0;
    for (int step = 0; step < 600; ++step)
        chaos.step(); // collect() fails the test at a second reply
    chaos.heal();
    CHECK(chaos.settled());
    std::uint64_t dropped = 0, answered = 0;
    for (std::size_t node = 0; node < 4; ++node) {
        const auto& counters = chaos.net.broker(node).counters();
        dropped +=
            counters.expired + counters.failed + counters.abandoned + counters.unroutable_replies;
    }
    for (const auto& [tag, count] : chaos.replies)
        answered += count;
    CHECK(answered + dropped >= chaos.replies.size()); // each one answered or dropped (counted)
    check_request_paths(chaos.net);
}
