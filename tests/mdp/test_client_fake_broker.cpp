// client_t against a fake broker: a ROUTER in the test that checks every frame the client
// sends against the 7/MDP and 18/MDP tables and answers by hand, so timeouts, retries,
// partials and reply matching can be driven exactly.
//
//     client_t (DEALER) ---tcp---> fake broker (ROUTER, this test)
#include "broker_tools_support.hpp"
#include "messages.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <unistd.h>

using namespace zd::test;
using namespace std::chrono_literals;
using zd::mdp::client_options_t;
using zd::mdp::client_t;
using zd::mdp::frames_t;
using zd::mdp::version;

namespace {

struct fake_broker_t {
    zmq::socket_t router;
    std::string endpoint;
    explicit fake_broker_t(zmq::context_t& context) : router(context, zmq::socket_type::router) {
        router.set(zmq::sockopt::linger, 0);
        router.bind("tcp://127.0.0.1:*");
        endpoint = router.get(zmq::sockopt::last_endpoint);
    }
    zd::test::frames_t receive(std::chrono::milliseconds timeout = 2s) {
        auto message = recv_multipart(router, timeout);
        REQUIRE(message);
        return *message;
    }
};

client_options_t quick(version protocol) {
    client_options_t options;
    options.protocol = protocol;
    options.timeout = 2000ms;
    options.retries = 0;
    options.socket.linger_ms = 0;
    return options;
}

} // namespace

TEST_CASE("an MDP/0.2 client sends MDPC02 0x01 service body+ and takes PARTIALs then the FINAL",
          "[mdp][client]") {
    zmq::context_t context;
    fake_broker_t broker(context);
    client_t client(context, broker.endpoint, quick(version::v02));

    std::vector<frames_t> partials;
    std::optional<frames_t> reply;
    std::thread caller([&] {
        reply = client.call("svc", {"a", "b"},
                            [&](const frames_t& partial) { partials.push_back(partial); });
    });
    const auto request = broker.receive();
    const std::string id = request.at(0);
    CHECK(request == zd::test::frames_t{id, "MDPC02", "\x01", "svc", "a", "b"});
    send_multipart(broker.router, {id, "MDPC02", "\x02", "svc", "part one"});
    send_multipart(broker.router, {id, "MDPC02", "\x02", "other", "not ours"}); // ignored
    send_multipart(broker.router, {id, "MDPC02", "\x03", "svc", "done", ""});
    caller.join();
    REQUIRE(reply);
    CHECK(*reply == frames_t{"done", ""});
    CHECK(partials == std::vector<frames_t>{{"part one"}});
}

TEST_CASE("an MDP/0.1 client sends \"\" MDPC01 service body+ like a REQ would", "[mdp][client]") {
    zmq::context_t context;
    fake_broker_t broker(context);
    client_t client(context, broker.endpoint, quick(version::v01));

    std::optional<frames_t> reply;
    std::thread caller([&] { reply = client.call("echo", {"hello"}); });
    const auto request = broker.receive();
    const std::string id = request.at(0);
    CHECK(request == zd::test::frames_t{id, "", "MDPC01", "echo", "hello"});
    send_multipart(broker.router, {id, "", "MDPC01", "echo", "world"});
    caller.join();
    REQUIRE(reply);
    CHECK(*reply == frames_t{"world"});
}

TEST_CASE("an empty body goes as one empty frame (MDP needs body+)", "[mdp][client]") {
    zmq::context_t context;
    fake_broker_t broker(context);
    client_t client(context, broker.endpoint, quick(version::v02));
    client.send("svc", {});
    const auto request = broker.receive();
    CHECK(request == zd::test::frames_t{request.at(0), "MDPC02", "\x01", "svc", ""});
}

TEST_CASE("call retries on a fresh socket after each timeout, then gives up",
          "[mdp][client][retry]") {
    zmq::context_t context;
    fake_broker_t broker(context);
    client_options_t options = quick(version::v02);
    options.timeout = 150ms;
    options.retries = 2;
    client_t client(context, broker.endpoint, options);

    std::optional<frames_t> reply{frames_t{"unset"}};
    const auto started = std::chrono::steady_clock::now();
    std::thread caller([&] { reply = client.call("svc", {"x"}); });
    std::set<std::string> identities;
    for (int attempt = 0; attempt < 3; ++attempt) {
        const auto request = broker.receive();
        CHECK(request.at(3) == "svc");
        identities.insert(request.at(0));
    }
    caller.join();
    const auto elapsed = std::chrono::steady_clock::now() - started;
    CHECK_FALSE(reply);            // every attempt timed out
    CHECK(identities.size() == 3); // a new socket (identity) per attempt
    CHECK(elapsed >= 3 * 150ms);
    // No fourth attempt.
    CHECK_FALSE(recv_multipart(broker.router, 200ms));
}

TEST_CASE("a late reply to a timed-out attempt never answers the retry", "[mdp][client][retry]") {
    zmq::context_t context;
    fake_broker_t broker(context);
    client_options_t options = quick(version::v02);
    options.timeout = 300ms;
    options.retries = 1;
    client_t client(context, broker.endpoint, options);

    std::optional<frames_t> reply;
    std::thread caller([&] { reply = client.call("svc", {"x"}); });
    const auto first = broker.receive();
    const auto second = broker.receive(); // the retry: the first attempt has timed out
    REQUIRE(first.at(0) != second.at(0));
    // The old identity's socket is closed: the broker cannot route to it any more.
    send_multipart(broker.router, {first.at(0), "MDPC02", "\x03", "svc", "stale"});
    send_multipart(broker.router, {second.at(0), "MDPC02", "\x03", "svc", "fresh"});
    caller.join();
    REQUIRE(reply);
    CHECK(*reply == frames_t{"fresh"});
}

TEST_CASE("async replies are matched per service, in order", "[mdp][client][async]") {
    zmq::context_t context;
    fake_broker_t broker(context);
    client_t client(context, broker.endpoint, quick(version::v02));

    const auto a1 = client.send("a", {"1"});
    const auto b1 = client.send("b", {"1"});
    const auto a2 = client.send("a", {"2"});
    CHECK(client.outstanding() == 3);
    std::string id;
    for (int i = 0; i < 3; ++i)
        id = broker.receive().at(0);
    // Replies in another order than the requests across services; in order within one.
    send_multipart(broker.router, {id, "MDPC02", "\x03", "b", "b-1"});
    send_multipart(broker.router, {id, "MDPC02", "\x02", "a", "a-1 partial"});
    send_multipart(broker.router, {id, "MDPC02", "\x03", "a", "a-1"});
    send_multipart(broker.router, {id, "MDPC02", "\x03", "a", "a-2"});

    auto reply = client.receive(2s);
    REQUIRE(reply);
    CHECK((reply->request_id == b1 && reply->body == frames_t{"b-1"} && reply->final));
    reply = client.receive(2s);
    REQUIRE(reply);
    CHECK((reply->request_id == a1 && reply->body == frames_t{"a-1 partial"} && !reply->final));
    reply = client.receive(2s);
    REQUIRE(reply);
    CHECK((reply->request_id == a1 && reply->final));
    reply = client.receive(2s);
    REQUIRE(reply);
    CHECK((reply->request_id == a2 && reply->body == frames_t{"a-2"}));
    CHECK(client.outstanding() == 0);
    CHECK_FALSE(client.receive(50ms));
}

TEST_CASE("malformed replies are dropped and counted, not returned", "[mdp][client]") {
    zmq::context_t context;
    fake_broker_t broker(context);
    client_t client(context, broker.endpoint, quick(version::v02));
    client.send("svc", {"x"});
    const std::string id = broker.receive().at(0);
    send_multipart(broker.router, {id, "MDPC01", "svc", "wrong version"});
    send_multipart(broker.router, {id, "MDPC02", "\x07", "svc", "bad command"});
    send_multipart(broker.router, {id, "MDPC02"});
    send_multipart(broker.router, {id, "MDPC02", "\x03", "svc", "good"});
    const auto reply = client.receive(2s);
    REQUIRE(reply);
    CHECK(reply->body == frames_t{"good"});
    CHECK(client.malformed_replies() == 3);
}

TEST_CASE("call refuses to run while async requests are outstanding", "[mdp][client]") {
    zmq::context_t context;
    fake_broker_t broker(context);
    client_t client(context, broker.endpoint, quick(version::v02));
    client.send("svc", {"x"});
    CHECK_THROWS_AS(client.call("svc", {"y"}), std::logic_error);
    client.reset();
    CHECK(client.outstanding() == 0);
}

TEST_CASE("a readable stop descriptor interrupts a waiting call", "[mdp][client]") {
    zmq::context_t context;
    fake_broker_t broker(context);
    int stop_pipe[2];
    REQUIRE(pipe(stop_pipe) == 0);
    client_options_t options = quick(version::v02);
    options.timeout = 10s;
    options.stop_fd = stop_pipe[0];
    client_t client(context, broker.endpoint, options);
    // Catch2 assertions are not thread-safe: the helper thread only records.
    bool request_seen = false;
    std::thread stopper([&] {
        request_seen = recv_multipart(broker.router, 5s).has_value(); // the request is out
        [[maybe_unused]] const auto written = write(stop_pipe[1], "x", 1);
    });
    const auto started = std::chrono::steady_clock::now();
    CHECK_THROWS_AS(client.call("svc", {"x"}), zd::mdp::interrupted_error);
    CHECK(std::chrono::steady_clock::now() - started < 5s);
    stopper.join();
    CHECK(request_seen);
    close(stop_pipe[0]);
    close(stop_pipe[1]);
}

TEST_CASE("versions parse from the command-line spelling", "[mdp][client]") {
    CHECK(zd::mdp::parse_version("0.1") == version::v01);
    CHECK(zd::mdp::parse_version("0.2") == version::v02);
    CHECK_THROWS_WITH(zd::mdp::parse_version("0.3"), Catch::Contains("'0.3'"));
}
