// The proxy loop (lib/proxy/proxy.hpp) in-process over inproc sockets, the proxy on its own
// thread and the test acting as every peer:
//
//      producer/client --> [frontend]  proxy_t  [backend] --> consumer/worker
//                                         |
//                                    [control]  <-- REQ: PAUSE, STATISTICS, STATS, TERMINATE
//
// Checks what libzmq's own proxy does not promise: exact message counters, dropped replies
// counted, and control commands answered while an output is stuck at its high-water mark.
#include "proxy/proxy.hpp"
#include "base/stop_signal.hpp"
#include "json_reader.hpp"
#include "messages.hpp"

#include <catch2/catch.hpp>
#include <future>

using namespace zd::test;

namespace {

// A proxy between inproc://frontend and inproc://backend with a control server on
// inproc://control, run on a thread until TERMINATE.
struct proxy_harness_t {
    zmq::context_t context;
    zmq::socket_t frontend;
    zmq::socket_t backend;
    zd::control_server_t control;
    zd::proxy_t proxy;
    std::future<zd::loop_exit> running;

    // setup runs on the proxy's sockets before they bind (socket options).
    proxy_harness_t(zmq::socket_type frontend_type, zmq::socket_type backend_type,
                    zd::proxy_config_t config,
                    const std::function<void(zmq::socket_t&, zmq::socket_t&)>& setup = {})
        : frontend(context, frontend_type), backend(context, backend_type),
          control(context, zd::parse_endpoints("@inproc://control", zd::attach_mode::bind), {}),
          proxy(frontend, backend, nullptr, &control,
                zd::device_description_t{"zd-test", "F", "B", {}, {}, {}, {}}, config) {
        for (auto* socket : {&frontend, &backend})
            socket->set(zmq::sockopt::linger, 0);
        if (setup) setup(frontend, backend);
        frontend.bind("inproc://frontend");
        backend.bind("inproc://backend");
        running = std::async(std::launch::async, [this] {
            zd::stop_signal_t stop; // blocks SIGINT/SIGTERM in this thread only
            return proxy.run(stop);
        });
    }

    // A test that failed half-way still stops the loop; no assertions here (a throwing
    // destructor would abort the whole program).
    ~proxy_harness_t() {
        if (!running.valid()) return;
        try {
            control_request(context, "inproc://control", "TERMINATE");
        } catch (const std::exception&) {
        }
        running.wait_for(5s);
    }

    // A peer socket connected to one side (linger 0, so a failing test never hangs).
    zmq::socket_t peer(zmq::socket_type type, const char* side,
                       const std::function<void(zmq::socket_t&)>& setup = {}) {
        zmq::socket_t socket(context, type);
        socket.set(zmq::sockopt::linger, 0);
        if (setup) setup(socket);
        socket.connect(side);
        return socket;
    }

    frames_t command(const std::string& name) {
        if (!controller) {
            controller.emplace(context, zmq::socket_type::req);
            controller->set(zmq::sockopt::linger, 0);
            controller->connect("inproc://control");
        }
        send_multipart(*controller, {name});
        auto reply = recv_multipart(*controller);
        if (!reply) throw std::runtime_error("no reply to " + name);
        return *reply;
    }

    std::optional<zmq::socket_t> controller; // one REQ client for every command

    std::array<std::uint64_t, 8> statistics() {
        const auto reply = command("STATISTICS");
        REQUIRE(reply.size() == 8);
        std::array<std::uint64_t, 8> values{};
        for (std::size_t i = 0; i < 8; ++i)
            values[i] = frame_to_uint64(reply[i]);
        return values;
    }

    json_value_t stats() {
        const auto reply = command("STATS");
        REQUIRE(reply.size() == 1);
        return parse_json(reply[0]);
    }

    // Sends TERMINATE and waits for the loop to end; returns how it ended.
    zd::loop_exit terminate() {
        CHECK(command("TERMINATE") == frames_t{""});
        REQUIRE(running.wait_for(5s) == std::future_status::ready);
        return running.get();
    }
};

zd::proxy_config_t one_way() {
    zd::proxy_config_t config;
    config.backward = false;
    return config;
}

} // namespace

TEST_CASE("proxy keeps order and multipart frames, and counts every message once",
          "[proxy][streamer]") {
    proxy_harness_t harness(zmq::socket_type::pull, zmq::socket_type::push, one_way());
    auto producer = harness.peer(zmq::socket_type::push, "inproc://frontend");
    auto consumer = harness.peer(zmq::socket_type::pull, "inproc://backend");

    const int count = 3000; // beyond one burst (1000) and beyond the high-water marks
    std::uint64_t bytes = 0;
    std::thread sender([&] {
        for (int i = 0; i < count; ++i)
            send_multipart(producer, {std::to_string(i), "", std::string(i % 7, 'x')});
    });
    for (int i = 0; i < count; ++i) {
        const auto message = recv_multipart(consumer);
        REQUIRE(message);
        REQUIRE(*message == frames_t{std::to_string(i), "", std::string(i % 7, 'x')});
        bytes += std::to_string(i).size() + i % 7;
    }
    sender.join();

    const auto values = harness.statistics();
    CHECK(values == std::array<std::uint64_t, 8>{count, bytes, 0, 0, 0, 0, count, bytes});
    const auto stats = harness.stats();
    CHECK(stats["state"].text == "running");
    CHECK(stats["frontend_to_backend"]["dropped_messages"].as_uint64() == 0);
    CHECK(harness.terminate() == zd::loop_exit::terminate);
    CHECK(harness.proxy.counters().frontend_to_backend.sent_messages == count);
    CHECK(harness.proxy.counters().frontend_to_backend.sent_bytes == bytes);
}

TEST_CASE("proxy carries requests and replies both ways with exact counters", "[proxy][queue]") {
    zd::proxy_config_t config;
    config.frontend_drops = true;
    proxy_harness_t harness(zmq::socket_type::router, zmq::socket_type::dealer, config,
                            [](zmq::socket_t& frontend, zmq::socket_t&) {
                                frontend.set(zmq::sockopt::router_mandatory, 1);
                            });
    // A fixed routing id makes the byte counts exact: the ROUTER adds it as the first frame.
    auto client = harness.peer(zmq::socket_type::req, "inproc://frontend", [](zmq::socket_t& s) {
        s.set(zmq::sockopt::routing_id, "client-1");
    });
    auto worker = harness.peer(zmq::socket_type::rep, "inproc://backend");

    const int rounds = 50;
    for (int i = 0; i < rounds; ++i) {
        send_multipart(client, {"request-" + std::to_string(i % 10)}); // 9 bytes
        const auto request = recv_multipart(worker);
        REQUIRE(request == frames_t{"request-" + std::to_string(i % 10)});
        send_multipart(worker, {"reply-" + std::to_string(i % 10) + "!"}); // 8 bytes
        REQUIRE(recv_multipart(client) == frames_t{"reply-" + std::to_string(i % 10) + "!"});
    }
    // Each message: routing id (8) + empty delimiter (0) + body.
    const std::uint64_t in_bytes = rounds * (8 + 9);
    const std::uint64_t out_bytes = rounds * (8 + 8);
    CHECK(harness.statistics() == std::array<std::uint64_t, 8>{rounds, in_bytes, rounds, out_bytes,
                                                               rounds, out_bytes, rounds,
                                                               in_bytes});
    harness.terminate();
}

TEST_CASE("a reply to an unknown client is dropped and counted, not stalled", "[proxy][queue]") {
    zd::proxy_config_t config;
    config.frontend_drops = true;
    proxy_harness_t harness(zmq::socket_type::router, zmq::socket_type::dealer, config,
                            [](zmq::socket_t& frontend, zmq::socket_t&) {
                                frontend.set(zmq::sockopt::router_mandatory, 1);
                            });
    auto client = harness.peer(zmq::socket_type::req, "inproc://frontend");
    auto worker = harness.peer(zmq::socket_type::dealer, "inproc://backend");

    // A worker answering a client that never existed: [routing id, delimiter, body].
    send_multipart(worker, {"nobody", "", "lost reply"});
    send_multipart(worker, {"nobody-else", "", "lost", "in", "parts"});
    // Then an ordinary round trip, which must still work after the drops.
    send_multipart(client, {"ping"});
    const auto request = recv_multipart(worker);
    REQUIRE(request);
    REQUIRE(request->size() == 3);
    CHECK(request->back() == "ping");
    send_multipart(worker, {(*request)[0], "", "pong"});
    CHECK(recv_multipart(client) == frames_t{"pong"});

    const auto stats = harness.stats();
    const auto& backward = stats["backend_to_frontend"];
    CHECK(backward["received_messages"].as_uint64() == 3);
    CHECK(backward["sent_messages"].as_uint64() == 1);
    CHECK(backward["dropped_messages"].as_uint64() == 2);
    CHECK(stats["frontend_to_backend"]["dropped_messages"].as_uint64() == 0);
    harness.terminate();
}

TEST_CASE("with the output at its high-water mark the proxy parks, loses nothing and still "
          "answers control",
          "[proxy][streamer]") {
    proxy_harness_t harness(
        zmq::socket_type::pull, zmq::socket_type::push, one_way(),
        [](zmq::socket_t&, zmq::socket_t& backend) { backend.set(zmq::sockopt::sndhwm, 10); });
    auto producer = harness.peer(zmq::socket_type::push, "inproc://frontend");
    auto consumer = harness.peer(zmq::socket_type::pull, "inproc://backend",
                                 [](zmq::socket_t& s) { s.set(zmq::sockopt::rcvhwm, 10); });

    // 500 messages: the producer's and the proxy's input queues hold them all, the output
    // to the consumer (who does not read yet) only about 20.
    const int count = 500;
    for (int i = 0; i < count; ++i)
        send_multipart(producer, {std::to_string(i)});

    // Wait until the proxy holds a message the output refused: it has read one more than it
    // sent (between two pumps, the only way received can exceed sent without a drop).
    std::array<std::uint64_t, 8> values{};
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    do {
        const auto asked = std::chrono::steady_clock::now();
        values = harness.statistics();
        // A parked proxy answers at once, not when the consumer gets round to reading.
        CHECK(std::chrono::steady_clock::now() - asked < 500ms);
    } while (values[0] <= values[6] && std::chrono::steady_clock::now() < deadline);
    const std::uint64_t received = values[0];
    const std::uint64_t sent = values[6];
    CHECK(received == sent + 1);
    CHECK(sent >= 10);
    CHECK(sent < 100); // the output took what its marks allow, no more
    // Still parked: the numbers do not move while the consumer does not read.
    CHECK(harness.statistics() == values);
    CHECK(harness.stats()["frontend_to_backend"]["dropped_messages"].as_uint64() == 0);

    // Once the consumer reads, everything arrives, in order, exactly once.
    for (int i = 0; i < count; ++i)
        REQUIRE(recv_multipart(consumer) == frames_t{std::to_string(i)});
    CHECK_FALSE(readable_within(consumer, 50ms));
    values = harness.statistics();
    CHECK(values[0] == count);
    CHECK(values[6] == count);
    harness.terminate();
}

TEST_CASE("PAUSE holds traffic, RESUME releases it in order", "[proxy][control]") {
    proxy_harness_t harness(zmq::socket_type::pull, zmq::socket_type::push, one_way());
    auto producer = harness.peer(zmq::socket_type::push, "inproc://frontend");
    auto consumer = harness.peer(zmq::socket_type::pull, "inproc://backend");

    CHECK(harness.command("PAUSE") == frames_t{""});
    CHECK(harness.stats()["state"].text == "paused");
    for (int i = 0; i < 100; ++i)
        send_multipart(producer, {std::to_string(i)});
    CHECK_FALSE(readable_within(consumer, 200ms));
    CHECK(harness.statistics()[0] == 0); // not even read while paused

    CHECK(harness.command("RESUME") == frames_t{""});
    CHECK(harness.stats()["state"].text == "running");
    for (int i = 0; i < 100; ++i)
        REQUIRE(recv_multipart(consumer) == frames_t{std::to_string(i)});
    harness.terminate();
}

TEST_CASE("an unknown command is answered with an error naming it", "[proxy][control]") {
    proxy_harness_t harness(zmq::socket_type::pull, zmq::socket_type::push, one_way());
    const auto reply = harness.command("REBOOT");
    REQUIRE(reply.size() == 1);
    CHECK_THAT(reply[0], Catch::Matchers::StartsWith("ERROR unknown command 'REBOOT'"));
    CHECK(harness.terminate() == zd::loop_exit::terminate);
}

TEST_CASE("the proxy copies every frame to the capture socket", "[proxy][capture]") {
    zmq::context_t context;
    zmq::socket_t frontend(context, zmq::socket_type::pull);
    zmq::socket_t backend(context, zmq::socket_type::push);
    zmq::socket_t capture(context, zmq::socket_type::push); // PUSH: no subscription to wait for
    for (auto* socket : {&frontend, &backend, &capture}) {
        socket->set(zmq::sockopt::linger, 0);
    }
    frontend.bind("inproc://frontend");
    backend.bind("inproc://backend");
    capture.bind("inproc://capture");
    zmq::socket_t producer(context, zmq::socket_type::push);
    zmq::socket_t consumer(context, zmq::socket_type::pull);
    zmq::socket_t tap(context, zmq::socket_type::pull);
    for (auto* socket : {&producer, &consumer, &tap})
        socket->set(zmq::sockopt::linger, 0);
    producer.connect("inproc://frontend");
    consumer.connect("inproc://backend");
    tap.connect("inproc://capture");

    zd::control_server_t control(
        context, zd::parse_endpoints("@inproc://control", zd::attach_mode::bind), {});
    zd::proxy_t proxy(frontend, backend, &capture, &control, {}, one_way());
    auto running = std::async(std::launch::async, [&] {
        zd::stop_signal_t stop;
        return proxy.run(stop);
    });
    for (int i = 0; i < 100; ++i)
        send_multipart(producer, {std::to_string(i) + "m", "second", "third"});
    for (int i = 0; i < 100; ++i) {
        const frames_t expected{std::to_string(i) + "m", "second", "third"};
        REQUIRE(recv_multipart(consumer) == expected);
        REQUIRE(recv_multipart(tap) == expected);
    }
    CHECK(control_request(context, "inproc://control", "TERMINATE") == frames_t{""});
    REQUIRE(running.wait_for(5s) == std::future_status::ready);
    running.get();
    CHECK(proxy.counters().captured_messages == 100);
    CHECK(proxy.counters().capture_dropped == 0);
}
