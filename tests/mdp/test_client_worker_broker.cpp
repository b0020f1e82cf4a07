// client_t and worker_t through the real zd-broker: every version pairing, many requests in
// flight, streaming, heartbeats keeping a busy worker alive, a worker that leaves mid-request,
// and a worker riding out a broker restart.
//
//     client_t (DEALER) ---> zd-broker (ROUTER, child process) <--- worker_t (DEALER, thread)
#include "broker_tools_support.hpp"
#include "messages.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <future>
#include <map>
#include <poll.h>

using namespace zd::test;
using namespace std::chrono_literals;
using zd::mdp::client_options_t;
using zd::mdp::client_t;
using zd::mdp::version;

namespace {

client_options_t client_options(version protocol) {
    client_options_t options;
    options.protocol = protocol;
    options.timeout = 3000ms;
    options.retries = 0;
    options.socket.linger_ms = 0;
    return options;
}

zd::mdp::handler_t tagging_handler(std::string tag) {
    return [tag](zd::mdp::frames_t body) {
        body.insert(body.begin(), tag);
        return body;
    };
}

// Asks the broker (mmi.services) until service has a queued request.
bool wait_for_queued(zmq::context_t& context, const std::string& endpoint,
                     const std::string& service) {
    client_t probe(context, endpoint, client_options(version::v02));
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto reply = probe.call("mmi.services", {""});
        if (reply && reply->size() == 1) {
            const auto services = parse_json(reply->at(0));
            if (services.has(service) && services[service]["queued"].as_uint64() > 0) return true;
        }
        std::this_thread::sleep_for(10ms); // between probes of the broker's own count
    }
    return false;
}

std::string version_text(version v) {
    return std::string(zd::mdp::version_name(v));
}

} // namespace

TEST_CASE("call through zd-broker, for every pairing of client and worker versions",
          "[mdp][broker]") {
    const version client_version = GENERATE(version::v01, version::v02);
    const version worker_version = GENERATE(version::v01, version::v02);
    CAPTURE(version_text(client_version), version_text(worker_version));
    zmq::context_t context;
    broker_process_t broker(fast_heartbeats);
    running_worker_t worker(context, broker.endpoint(), "tag", fast_worker_options(worker_version),
                            tagging_handler("tagged"));
    REQUIRE(wait_for_workers(context, broker.endpoint(), "tag", 1));
    client_t client(context, broker.endpoint(), client_options(client_version));
    const auto reply = client.call("tag", {"one", "", "three"});
    REQUIRE(reply);
    CHECK(*reply == zd::mdp::frames_t{"tagged", "one", "", "three"});
    // mmi.service through the same client.
    CHECK(client.call("mmi.service", {"tag"}) == std::optional(zd::mdp::frames_t{"200"}));
    CHECK(client.call("mmi.service", {"nobody"}) == std::optional(zd::mdp::frames_t{"404"}));
}

TEST_CASE("200 requests in flight on one client socket come back matched", "[mdp][broker][async]") {
    const version client_version = GENERATE(version::v01, version::v02);
    CAPTURE(version_text(client_version));
    zmq::context_t context;
    broker_process_t broker(fast_heartbeats);
    // One worker per service: replies per service come back in order, which is what the
    // client's matching relies on.
    running_worker_t worker_a(context, broker.endpoint(), "a", fast_worker_options(),
                              tagging_handler("from a"));
    running_worker_t worker_b(context, broker.endpoint(), "b", fast_worker_options(),
                              tagging_handler("from b"));
    REQUIRE(wait_for_workers(context, broker.endpoint(), "a", 1));
    REQUIRE(wait_for_workers(context, broker.endpoint(), "b", 1));

    client_t client(context, broker.endpoint(), client_options(client_version));
    std::map<std::uint64_t, std::pair<std::string, std::string>> sent; // id -> service, body
    for (int i = 0; i < 200; ++i) {
        const std::string service = i % 3 == 0 ? "b" : "a";
        const std::string body = "request " + std::to_string(i);
        sent[client.send(service, {body})] = {service, body};
    }
    CHECK(client.outstanding() == 200);
    int matched = 0;
    while (client.outstanding() > 0) {
        const auto reply = client.receive(5s);
        REQUIRE(reply);
        REQUIRE(reply->final);
        REQUIRE(sent.count(reply->request_id) == 1);
        const auto& [service, body] = sent[reply->request_id];
        CHECK(reply->service == service);
        CHECK(reply->body == zd::mdp::frames_t{"from " + service, body});
        ++matched;
    }
    CHECK(matched == 200);
}

TEST_CASE("PARTIALs stream to a 0.2 client; a 0.1 client gets only the FINAL",
          "[mdp][broker][partial]") {
    zmq::context_t context;
    broker_process_t broker(fast_heartbeats);
    running_worker_t worker(context, broker.endpoint(), "count", fast_worker_options(),
                            zd::mdp::streaming_handler_t(
                                [](zd::mdp::frames_t body, zd::mdp::request_context_t& context) {
                                    for (int i = 1; i <= 3; ++i)
                                        context.partial({std::to_string(i)});
                                    return zd::mdp::frames_t{"done", body.at(0)};
                                }));
    REQUIRE(wait_for_workers(context, broker.endpoint(), "count", 1));

    client_t v02(context, broker.endpoint(), client_options(version::v02));
    std::vector<zd::mdp::frames_t> partials;
    const auto reply =
        v02.call("count", {"x"}, [&](const zd::mdp::frames_t& part) { partials.push_back(part); });
    REQUIRE(reply);
    CHECK(*reply == zd::mdp::frames_t{"done", "x"});
    CHECK(partials == std::vector<zd::mdp::frames_t>{{"1"}, {"2"}, {"3"}});

    client_t v01(context, broker.endpoint(), client_options(version::v01));
    partials.clear();
    const auto old_reply =
        v01.call("count", {"y"}, [&](const zd::mdp::frames_t& part) { partials.push_back(part); });
    REQUIRE(old_reply);
    CHECK(*old_reply == zd::mdp::frames_t{"done", "y"});
    CHECK(partials.empty());
}

TEST_CASE("a busy worker's heartbeats keep it alive through a handler slower than "
          "interval x liveness",
          "[mdp][broker][heartbeat]") {
    zmq::context_t context;
    // The broker expires a worker silent for 100 ms x 3.
    broker_process_t broker({"--heartbeat-interval", "100", "--heartbeat-liveness", "3"});
    // The worker itself is more patient (100 ms x 5): the broker's heartbeats may come up to
    // two intervals apart, and the subject here is the broker's verdict, not the worker's.
    auto options = fast_worker_options();
    std::promise<void> started, release;
    auto released = release.get_future().share();
    running_worker_t worker(context, broker.endpoint(), "slow", options,
                            zd::mdp::handler_t([&started, released](zd::mdp::frames_t body) {
                                started.set_value();
                                released.wait_for(10s); // bounded: a failed test must not hang
                                return body;
                            }));
    REQUIRE(wait_for_workers(context, broker.endpoint(), "slow", 1));
    client_t client(context, broker.endpoint(), client_options(version::v02));
    client.send("slow", {"patience"});
    REQUIRE(started.get_future().wait_for(5s) == std::future_status::ready);

    // The handler is held for over three expiry windows: this wait is the test's subject.
    std::this_thread::sleep_for(1000ms);
    const auto stats = broker_stats(context, broker.endpoint());
    CHECK(stats["workers_expired"].as_uint64() == 0);
    CHECK(stats["retried"].as_uint64() == 0);
    CHECK(stats["services"]["slow"]["in_flight"].as_uint64() == 1);

    release.set_value();
    const auto reply = client.receive(3s);
    REQUIRE(reply);
    CHECK(reply->body == zd::mdp::frames_t{"patience"});
    CHECK(worker.worker().counters().broker_expired == 0);
}

TEST_CASE("control: a worker that goes silent while busy is expired by the broker",
          "[mdp][broker][heartbeat]") {
    // What the test above guards against: a raw worker that sends no HEARTBEAT while it
    // holds a request is removed after 100 ms x 3, and its request requeued.
    zmq::context_t context;
    broker_process_t broker({"--heartbeat-interval", "100", "--heartbeat-liveness", "3"});
    // The request waits in the queue first, so it is dispatched the moment READY arrives
    // (an idle silent worker would be expired too, before any request could reach it).
    client_t client(context, broker.endpoint(), client_options(version::v02));
    client.send("slow", {"x"});
    REQUIRE(wait_for_queued(context, broker.endpoint(), "slow"));
    zmq::socket_t silent(context, zmq::socket_type::dealer);
    silent.set(zmq::sockopt::linger, 0);
    silent.connect(broker.endpoint());
    send_multipart(silent, {"MDPW02", "\x01", "slow"});
    const auto request = recv_multipart(silent, 3s);
    REQUIRE(request);
    CHECK(request->at(1) == "\x02");
    REQUIRE(wait_for_workers(context, broker.endpoint(), "slow", 0, 3s));
    CHECK(broker_stats(context, broker.endpoint())["workers_expired"].as_uint64() == 1);
}

TEST_CASE("a worker that stops mid-request hands the request to another worker",
          "[mdp][broker][stop]") {
    zmq::context_t context;
    broker_process_t broker(fast_heartbeats);
    std::promise<void> first_started;
    running_worker_t first(
        context, broker.endpoint(), "job", fast_worker_options(),
        zd::mdp::streaming_handler_t(
            [&first_started](zd::mdp::frames_t body, zd::mdp::request_context_t& context) {
                first_started.set_value();
                pollfd item{context.cancel_fd(), POLLIN, 0};
                (void)::poll(&item, 1, 10000);
                body.insert(body.begin(), "first");
                return body;
            }));
    REQUIRE(wait_for_workers(context, broker.endpoint(), "job", 1));
    client_t client(context, broker.endpoint(), client_options(version::v02));
    client.send("job", {"work"});
    REQUIRE(first_started.get_future().wait_for(5s) == std::future_status::ready);

    running_worker_t second(context, broker.endpoint(), "job", fast_worker_options(),
                            tagging_handler("second"));
    REQUIRE(wait_for_workers(context, broker.endpoint(), "job", 2));
    REQUIRE(first.stop(5s)); // DISCONNECT: the broker requeues the request at once
    const auto reply = client.receive(5s);
    REQUIRE(reply);
    CHECK(reply->body == zd::mdp::frames_t{"second", "work"});
    CHECK(first.worker().counters().abandoned == 1);
}

TEST_CASE("a worker reconnects after the broker restarts", "[mdp][broker][reconnect]") {
    zmq::context_t context;
    temp_dir_t dir;
    const std::string bind = "@" + dir.ipc("broker"); // the same address for both brokers
    const std::vector<std::string> args{"--heartbeat-interval", "100"};
    auto options = fast_worker_options();
    options.reconnect_delay = 100ms;

    auto broker = std::make_unique<broker_process_t>(args, bind);
    const std::string endpoint = broker->endpoint();
    running_worker_t worker(context, endpoint, "survivor", options, tagging_handler("alive"));
    REQUIRE(wait_for_workers(context, endpoint, "survivor", 1));
    {
        client_t client(context, endpoint, client_options(version::v02));
        CHECK(client.call("survivor", {"before"}) ==
              std::optional(zd::mdp::frames_t{"alive", "before"}));
    }

    broker->process().send_signal(SIGTERM);
    REQUIRE(broker->process().wait_exit(5s) == 0);
    broker = std::make_unique<broker_process_t>(args, bind);

    // The new broker knows nothing of the worker until it has sent READY again.
    REQUIRE(wait_for_workers(context, endpoint, "survivor", 1, 10s));
    client_t client(context, endpoint, client_options(version::v02));
    CHECK(client.call("survivor", {"after"}) == std::optional(zd::mdp::frames_t{"alive", "after"}));
    CHECK(worker.worker().counters().connects >= 2);
}
