// The control protocol (lib/base/control.hpp): command names, the STATISTICS order libzmq
// defines, the STATS JSON, and a control server that answers REQ and DEALER clients, counts
// malformed requests and never stalls on a client that stops reading.
#include "base/control.hpp"
#include "base/subscription_table.hpp"
#include "json_reader.hpp"
#include "messages.hpp"

#include <catch2/catch.hpp>
#include <unistd.h>

using namespace zd::test;
using zd::control_command;

TEST_CASE("command names are exact and upper-case, as libzmq's proxy expects", "[control]") {
    CHECK(zd::parse_control_command("PAUSE") == control_command::pause);
    CHECK(zd::parse_control_command("RESUME") == control_command::resume);
    CHECK(zd::parse_control_command("TERMINATE") == control_command::terminate);
    CHECK(zd::parse_control_command("STATISTICS") == control_command::statistics);
    CHECK(zd::parse_control_command("STATS") == control_command::stats);
    CHECK(zd::parse_control_command("SUBSCRIPTIONS") == control_command::subscriptions);
    CHECK(zd::parse_control_command("pause") == control_command::unknown);
    CHECK(zd::parse_control_command("PAUSE ") == control_command::unknown);
    CHECK(zd::parse_control_command("STAT") == control_command::unknown);
    CHECK(zd::parse_control_command("") == control_command::unknown);
    CHECK(zd::parse_control_command(std::string_view("PAUSE\0", 6)) == control_command::unknown);
}

namespace {
zd::proxy_counters_t distinct_counters() {
    zd::proxy_counters_t counters;
    counters.frontend_to_backend = {11, 12, 13, 14, 15};
    counters.backend_to_frontend = {21, 22, 23, 24, 25};
    counters.captured_messages = 31;
    counters.capture_dropped = 32;
    return counters;
}
} // namespace

TEST_CASE("STATISTICS values follow libzmq: frontend in, frontend out, backend in, backend out",
          "[control]") {
    // Frontend "out" is what went backend -> frontend; backend "in" is what the backend read.
    const auto values = zd::statistics_values(distinct_counters()).values();
    const std::array<std::uint64_t, 8> expected = {11, 12, 23, 24, 21, 22, 13, 14};
    CHECK(values == expected);
}

TEST_CASE("STATS is one valid JSON object with every key and value", "[control][json]") {
    const zd::device_description_t device{
        "zd-queue",
        "ROUTER",
        "DEALER",
        zd::parse_endpoints("@tcp://127.0.0.1:5000,@ipc:///tmp/a\"b\\c.ipc", zd::attach_mode::bind),
        zd::parse_endpoints(">tcp://127.0.0.1:5001", zd::attach_mode::bind),
        {},
        zd::parse_endpoints("@inproc://control", zd::attach_mode::bind)};
    const std::string text = zd::stats_json(device, distinct_counters(), true, 1234);
    INFO(text);
    const json_value_t stats = parse_json(text);
    REQUIRE(stats.type == json_value_t::kind::object);
    CHECK(stats.keys() == std::vector<std::string>{"device", "version", "pid", "uptime_ms", "state",
                                                   "engine", "frontend", "backend", "capture",
                                                   "control", "frontend_to_backend",
                                                   "backend_to_frontend"});
    CHECK(stats["engine"].text == "libzmq");
    CHECK(stats["device"].text == "zd-queue");
    CHECK(stats["version"].text == ZD_VERSION);
    CHECK(stats["pid"].as_uint64() == std::uint64_t(getpid()));
    CHECK(stats["uptime_ms"].as_uint64() == 1234);
    CHECK(stats["state"].text == "paused");
    CHECK(stats["frontend"]["type"].text == "ROUTER");
    REQUIRE(stats["frontend"]["endpoints"].items.size() == 2);
    CHECK(stats["frontend"]["endpoints"].items[0].text == "@tcp://127.0.0.1:5000");
    CHECK(stats["frontend"]["endpoints"].items[1].text == "@ipc:///tmp/a\"b\\c.ipc");
    CHECK(stats["backend"]["type"].text == "DEALER");
    REQUIRE(stats["backend"]["endpoints"].items.size() == 1);
    CHECK(stats["backend"]["endpoints"].items[0].text == ">tcp://127.0.0.1:5001");
    CHECK(stats["capture"]["endpoints"].items.empty());
    CHECK(stats["capture"]["messages"].as_uint64() == 31);
    CHECK(stats["capture"]["dropped_messages"].as_uint64() == 32);
    REQUIRE(stats["control"].items.size() == 1);
    CHECK(stats["control"].items[0].text == "@inproc://control");
    const auto& forward = stats["frontend_to_backend"];
    CHECK(forward.keys() == std::vector<std::string>{"received_messages", "received_bytes",
                                                     "sent_messages", "sent_bytes",
                                                     "dropped_messages"});
    CHECK(forward["received_messages"].as_uint64() == 11);
    CHECK(forward["received_bytes"].as_uint64() == 12);
    CHECK(forward["sent_messages"].as_uint64() == 13);
    CHECK(forward["sent_bytes"].as_uint64() == 14);
    CHECK(forward["dropped_messages"].as_uint64() == 15);
    const auto& backward = stats["backend_to_frontend"];
    CHECK(backward["received_messages"].as_uint64() == 21);
    CHECK(backward["received_bytes"].as_uint64() == 22);
    CHECK(backward["sent_messages"].as_uint64() == 23);
    CHECK(backward["sent_bytes"].as_uint64() == 24);
    CHECK(backward["dropped_messages"].as_uint64() == 25);

    CHECK(parse_json(zd::stats_json(device, {}, false, 0))["state"].text == "running");
}

TEST_CASE("SUBSCRIPTIONS lists a forwarder's topics; other devices do not know it",
          "[control][subscriptions]") {
    zd::device_description_t description;
    description.name = "zd-forwarder";
    zd::proxy_counters_t counters;
    bool paused = false, terminate = false;
    const auto ask = [&] {
        return zd::answer_proxy_control(control_command::subscriptions, "SUBSCRIPTIONS", paused,
                                        terminate, description, counters, zd::steady_ms());
    };
    auto reply = ask();
    REQUIRE(reply.size() == 1);
    CHECK(reply[0].to_string().starts_with("ERROR unknown command 'SUBSCRIPTIONS'"));

    zd::subscription_table_t subscriptions;
    subscriptions.subscribed("news");
    description.subscriptions = &subscriptions;
    reply = ask();
    REQUIRE(reply.size() == 1);
    const auto answer = parse_json(reply[0].to_string());
    CHECK(answer["count"].as_uint64() == 1);
    REQUIRE(answer["topics"].items.size() == 1);
    CHECK(answer["topics"].items[0].text == "news");
    const auto stats = parse_json(zd::stats_json(description, counters, false, 0));
    CHECK(stats["subscriptions"]["count"].as_uint64() == 1);
}

TEST_CASE("STATS carries counters beyond 2^53 exactly", "[control][json]") {
    zd::proxy_counters_t counters;
    counters.frontend_to_backend.received_bytes = 18446744073709551615ull;
    const auto stats = parse_json(zd::stats_json({}, counters, false, 0));
    CHECK(stats["frontend_to_backend"]["received_bytes"].as_uint64() == 18446744073709551615ull);
}

namespace {

// A control server on inproc, served from the test thread: each exchange is "client sends,
// server serves what is pending, client reads".
struct control_fixture_t {
    zmq::context_t context;
    zd::control_server_t server{context,
                                zd::parse_endpoints("@inproc://control", zd::attach_mode::bind),
                                zd::socket_options_t{}};
    std::vector<std::string> seen; // command texts the handler saw
    std::uint64_t counter = 0;

    zd::control_reply_t handle(control_command command, std::string_view text) {
        seen.emplace_back(text);
        zd::control_reply_t reply;
        if (command == control_command::statistics) {
            for (std::uint64_t value : {++counter, counter + 100})
                reply.emplace_back(&value, sizeof value);
        } else if (command == control_command::unknown) {
            reply.emplace_back("ERROR unknown command '" + std::string(text) + "'");
        }
        return reply; // empty for PAUSE & co: the server answers one empty frame
    }

    // Serves every request that arrives within timeout.
    void serve(milliseconds timeout = 1s) {
        if (!readable_within(server.socket(), timeout)) return;
        server.serve_pending([this](control_command command, std::string_view text) {
            return handle(command, text);
        });
    }

    zmq::socket_t client(zmq::socket_type type) {
        zmq::socket_t socket(context, type);
        socket.set(zmq::sockopt::linger, 0);
        socket.connect("inproc://control");
        return socket;
    }
};

} // namespace

TEST_CASE("control server answers REQ clients", "[control]") {
    control_fixture_t fixture;
    auto req = fixture.client(zmq::socket_type::req);

    send_multipart(req, {"PAUSE"});
    fixture.serve();
    CHECK(recv_multipart(req) == frames_t{""});

    send_multipart(req, {"STATISTICS"});
    fixture.serve();
    const auto reply = recv_multipart(req);
    REQUIRE(reply);
    REQUIRE(reply->size() == 2);
    CHECK(frame_to_uint64((*reply)[0]) == 1);
    CHECK(frame_to_uint64((*reply)[1]) == 101);

    send_multipart(req, {"HELLO"});
    fixture.serve();
    CHECK(recv_multipart(req) == frames_t{"ERROR unknown command 'HELLO'"});
    CHECK(fixture.seen == std::vector<std::string>{"PAUSE", "STATISTICS", "HELLO"});
    CHECK(fixture.server.malformed_requests() == 0);
}

TEST_CASE("control server answers DEALER clients with and without a delimiter", "[control]") {
    control_fixture_t fixture;
    auto dealer = fixture.client(zmq::socket_type::dealer);

    send_multipart(dealer, {"RESUME"});
    fixture.serve();
    CHECK(recv_multipart(dealer) == frames_t{""});

    // REQ-style envelope from a DEALER: the delimiter comes back in front of the reply.
    send_multipart(dealer, {"", "STATISTICS"});
    fixture.serve();
    const auto reply = recv_multipart(dealer);
    REQUIRE(reply);
    REQUIRE(reply->size() == 3);
    CHECK((*reply)[0].empty());
    CHECK(frame_to_uint64((*reply)[1]) == 1);

    // Frames after the command are ignored.
    send_multipart(dealer, {"PAUSE", "extra", "frames"});
    fixture.serve();
    CHECK(recv_multipart(dealer) == frames_t{""});
    CHECK(fixture.seen == std::vector<std::string>{"RESUME", "STATISTICS", "PAUSE"});
}

TEST_CASE("control server answers many clients, each its own reply", "[control]") {
    control_fixture_t fixture;
    std::vector<zmq::socket_t> clients;
    for (int i = 0; i < 5; ++i)
        clients.push_back(fixture.client(i % 2 ? zmq::socket_type::dealer : zmq::socket_type::req));
    for (int i = 0; i < 5; ++i)
        send_multipart(clients[i], {"CMD" + std::to_string(i)});
    while (fixture.seen.size() < 5 && readable_within(fixture.server.socket(), 1s))
        fixture.serve();
    for (int i = 0; i < 5; ++i)
        CHECK(recv_multipart(clients[i]) ==
              frames_t{"ERROR unknown command 'CMD" + std::to_string(i) + "'"});
}

TEST_CASE("a request without a command is counted and the server keeps answering", "[control]") {
    control_fixture_t fixture;
    auto dealer = fixture.client(zmq::socket_type::dealer);
    // Only an empty delimiter: the ROUTER sees [identity, ""] and no command frame.
    send_multipart(dealer, {""});
    fixture.serve();
    CHECK(fixture.server.malformed_requests() == 1);
    CHECK(fixture.seen.empty());
    CHECK_FALSE(readable_within(dealer, 100ms)); // dropped, not answered

    auto req = fixture.client(zmq::socket_type::req);
    send_multipart(req, {"PAUSE"});
    fixture.serve();
    CHECK(recv_multipart(req) == frames_t{""});
    send_multipart(dealer, {"RESUME"});
    fixture.serve();
    CHECK(recv_multipart(dealer) == frames_t{""});
    CHECK(fixture.server.malformed_requests() == 1);
}

TEST_CASE("a client that never reads its replies does not stall the server", "[control]") {
    control_fixture_t fixture;
    auto flood = fixture.client(zmq::socket_type::dealer);
    flood.set(zmq::sockopt::rcvhwm, 1);
    // Far more requests than the reply pipe holds (inproc: both marks added, 2 x 1000).
    const int requests = 5000;
    int sent = 0;
    for (; sent < requests; ++sent)
        if (!flood.send(zmq::str_buffer("PAUSE"), zmq::send_flags::dontwait)) break;
    // Serve until every request was seen; each serve_pending must return (never block).
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (fixture.seen.size() < std::size_t(sent) && std::chrono::steady_clock::now() < deadline)
        fixture.serve(100ms);
    CHECK(fixture.seen.size() == std::size_t(sent));

    auto req = fixture.client(zmq::socket_type::req);
    send_multipart(req, {"STATISTICS"});
    fixture.serve();
    CHECK(recv_multipart(req).has_value());
}

TEST_CASE("a reply to a client that is gone is dropped quietly", "[control]") {
    control_fixture_t fixture;
    {
        auto req = fixture.client(zmq::socket_type::req);
        req.set(zmq::sockopt::linger, -1); // the request itself must still arrive
        send_multipart(req, {"PAUSE"});
    } // closed before the server answers
    fixture.serve();
    CHECK(fixture.seen == std::vector<std::string>{"PAUSE"});
    auto req = fixture.client(zmq::socket_type::req);
    send_multipart(req, {"RESUME"});
    fixture.serve();
    CHECK(recv_multipart(req) == frames_t{""});
}
