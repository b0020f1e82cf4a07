// worker_t against a fake broker: a ROUTER in the test checks every frame the worker sends
// (READY, HEARTBEAT, PARTIAL, REPLY, DISCONNECT) against the 7/MDP and 18/MDP tables, and
// plays the broker's part by hand: requests, heartbeats, DISCONNECT, or silence.
//
//     worker_t (DEALER, thread in this test) ---tcp---> fake broker (ROUTER, this test)
#include "broker_tools_support.hpp"
#include "messages.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <poll.h>
#include <thread>
#include <unistd.h>

using namespace zd::test;
using namespace std::chrono_literals;
using zd::mdp::version;

namespace {

struct protocol_t {
    version v;
    std::vector<std::string> prefix; // "" first for 0.1
    std::string header;
    std::string ready, request, partial, reply, heartbeat, disconnect;
};

const protocol_t v01{version::v01, {""}, "MDPW01", "\x01", "\x02", "", "\x03", "\x04", "\x05"};
const protocol_t v02{version::v02, {}, "MDPW02", "\x01", "\x02", "\x03", "\x04", "\x05", "\x06"};

// frames = id, then prefix + rest
zd::test::frames_t message(const std::string& id, const protocol_t& p,
                           std::vector<std::string> rest) {
    zd::test::frames_t frames{id};
    frames.insert(frames.end(), p.prefix.begin(), p.prefix.end());
    frames.push_back(p.header);
    frames.insert(frames.end(), rest.begin(), rest.end());
    return frames;
}

struct fake_broker_t {
    zmq::socket_t router;
    std::string endpoint;
    const protocol_t& p;
    fake_broker_t(zmq::context_t& context, const protocol_t& protocol)
        : router(context, zmq::socket_type::router), p(protocol) {
        router.set(zmq::sockopt::linger, 0);
        router.bind("tcp://127.0.0.1:*");
        endpoint = router.get(zmq::sockopt::last_endpoint);
    }

    // The next message that is not a HEARTBEAT; each HEARTBEAT is answered with one, as a
    // live broker would, so the worker never thinks us dead while the test looks on.
    zd::test::frames_t next(std::chrono::milliseconds timeout = 3s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            auto frames = recv_multipart(router, std::max(left, 0ms));
            REQUIRE(frames);
            if (*frames == message(frames->at(0), p, {p.heartbeat})) {
                send_multipart(router, message(frames->at(0), p, {p.heartbeat}));
                continue;
            }
            return *frames;
        }
    }

    // Waits for READY and returns the worker's identity.
    std::string expect_ready(const std::string& service) {
        const auto frames = next();
        const std::string id = frames.at(0);
        CHECK(frames == message(id, p, {p.ready, service}));
        return id;
    }
};

zd::mdp::worker_options_t options_for(const protocol_t& p) {
    auto options = fast_worker_options(p.v);
    options.heartbeat_interval = 50ms;
    // Patient (500 ms), so a loaded machine never makes the worker reconnect mid-test;
    // the silent-broker test sets its own.
    options.heartbeat_liveness = 10;
    options.reconnect_delay = 20ms;
    return options;
}

} // namespace

TEST_CASE("worker: READY, then a request is answered with REPLY client \"\" body+",
          "[mdp][worker]") {
    const protocol_t& p = GENERATE(std::cref(v01), std::cref(v02));
    CAPTURE(p.header);
    zmq::context_t context;
    fake_broker_t broker(context, p);
    running_worker_t worker(context, broker.endpoint, "upper", options_for(p),
                            zd::mdp::handler_t([](zd::mdp::frames_t body) {
                                for (auto& frame : body)
                                    for (auto& c : frame)
                                        c = char(std::toupper(static_cast<unsigned char>(c)));
                                return body;
                            }));
    const std::string id = broker.expect_ready("upper");
    send_multipart(broker.router, message(id, p, {p.request, "client-7", "", "ab", "cd"}));
    CHECK(broker.next() == message(id, p, {p.reply, "client-7", "", "AB", "CD"}));

    // An empty reply goes as one empty frame.
    send_multipart(broker.router, message(id, p, {p.request, "client-8", "", ""}));
    CHECK(broker.next() == message(id, p, {p.reply, "client-8", "", ""}));
    CHECK(worker.worker().counters().replies == 2);
}

TEST_CASE("worker: requests sent at once (a pipelining broker) are answered one by one, in order",
          "[mdp][worker][credit]") {
    const protocol_t& p = GENERATE(std::cref(v01), std::cref(v02));
    CAPTURE(p.header);
    zmq::context_t context;
    fake_broker_t broker(context, p);
    std::atomic<int> running{0}, most_at_once{0};
    running_worker_t worker(context, broker.endpoint, "echo", options_for(p),
                            zd::mdp::handler_t([&](zd::mdp::frames_t body) {
                                const int now_running = ++running;
                                int seen = most_at_once.load();
                                while (now_running > seen &&
                                       !most_at_once.compare_exchange_weak(seen, now_running)) {
                                }
                                std::this_thread::sleep_for(5ms); // let the others queue up
                                --running;
                                return body;
                            }));
    const std::string id = broker.expect_ready("echo");
    // zd-broker --worker-credit 5: five requests, two of them for the same client.
    const std::vector<std::string> clients{"c1", "c2", "c1", "c3", "c4"};
    for (std::size_t i = 0; i < clients.size(); ++i)
        send_multipart(broker.router,
                       message(id, p, {p.request, clients[i], "", "body " + std::to_string(i)}));
    for (std::size_t i = 0; i < clients.size(); ++i)
        CHECK(broker.next() ==
              message(id, p, {p.reply, clients[i], "", "body " + std::to_string(i)}));
    CHECK(most_at_once.load() == 1);
    CHECK(worker.worker().counters().requests == 5);
    CHECK(worker.worker().counters().replies == 5);
    CHECK(worker.worker().counters().malformed == 0);
}

TEST_CASE("worker: HEARTBEAT goes out every interval when nothing else does", "[mdp][worker]") {
    const protocol_t& p = GENERATE(std::cref(v01), std::cref(v02));
    CAPTURE(p.header);
    zmq::context_t context;
    fake_broker_t broker(context, p);
    running_worker_t worker(context, broker.endpoint, "svc", options_for(p),
                            zd::mdp::handler_t([](zd::mdp::frames_t body) { return body; }));
    const std::string id = broker.expect_ready("svc");
    for (int i = 0; i < 3; ++i) {
        const auto frames = recv_multipart(broker.router, 1s);
        REQUIRE(frames);
        CHECK(*frames == message(id, p, {p.heartbeat}));
        send_multipart(broker.router, message(id, p, {p.heartbeat}));
    }
}

TEST_CASE("worker: heartbeats go on while a slow handler runs", "[mdp][worker][heartbeat]") {
    zmq::context_t context;
    fake_broker_t broker(context, v02);
    std::promise<void> release;
    auto released = release.get_future().share();
    running_worker_t worker(context, broker.endpoint, "slow", options_for(v02),
                            zd::mdp::handler_t([released](zd::mdp::frames_t body) {
                                released.wait_for(10s); // bounded: a failed test must not hang
                                return body;
                            }));
    const std::string id = broker.expect_ready("slow");
    send_multipart(broker.router, message(id, v02, {v02.request, "c", "", "x"}));
    // Five heartbeats while the handler is blocked: the socket thread is not.
    for (int i = 0; i < 5; ++i) {
        const auto frames = recv_multipart(broker.router, 1s);
        REQUIRE(frames);
        CHECK(*frames == message(id, v02, {v02.heartbeat}));
        send_multipart(broker.router, message(id, v02, {v02.heartbeat}));
    }
    release.set_value();
    CHECK(broker.next() == message(id, v02, {v02.reply, "c", "", "x"}));
}

TEST_CASE("worker: a 0.2 streaming handler sends PARTIALs before the FINAL",
          "[mdp][worker][partial]") {
    zmq::context_t context;
    fake_broker_t broker(context, v02);
    running_worker_t worker(context, broker.endpoint, "stream", options_for(v02),
                            zd::mdp::streaming_handler_t(
                                [](zd::mdp::frames_t body, zd::mdp::request_context_t& context) {
                                    context.partial({"1 of 2"});
                                    context.partial({"2 of 2", "more"});
                                    return body;
                                }));
    const std::string id = broker.expect_ready("stream");
    send_multipart(broker.router, message(id, v02, {v02.request, "c", "", "done"}));
    CHECK(broker.next() == message(id, v02, {v02.partial, "c", "", "1 of 2"}));
    CHECK(broker.next() == message(id, v02, {v02.partial, "c", "", "2 of 2", "more"}));
    CHECK(broker.next() == message(id, v02, {v02.reply, "c", "", "done"}));
}

TEST_CASE("worker: a 0.1 streaming handler's partials are not sent (0.1 has no PARTIAL)",
          "[mdp][worker][partial]") {
    zmq::context_t context;
    fake_broker_t broker(context, v01);
    running_worker_t worker(context, broker.endpoint, "stream", options_for(v01),
                            zd::mdp::streaming_handler_t(
                                [](zd::mdp::frames_t body, zd::mdp::request_context_t& context) {
                                    context.partial({"dropped"});
                                    return body;
                                }));
    const std::string id = broker.expect_ready("stream");
    send_multipart(broker.router, message(id, v01, {v01.request, "c", "", "final"}));
    CHECK(broker.next() == message(id, v01, {v01.reply, "c", "", "final"}));
}

TEST_CASE("worker: a handler that throws is answered with ERROR <what>", "[mdp][worker]") {
    zmq::context_t context;
    fake_broker_t broker(context, v02);
    running_worker_t worker(context, broker.endpoint, "bad", options_for(v02),
                            zd::mdp::handler_t([](zd::mdp::frames_t) -> zd::mdp::frames_t {
                                throw std::runtime_error("disk on fire");
                            }));
    const std::string id = broker.expect_ready("bad");
    send_multipart(broker.router, message(id, v02, {v02.request, "c", "", "x"}));
    CHECK(broker.next() == message(id, v02, {v02.reply, "c", "", "ERROR disk on fire"}));
    CHECK(worker.worker().counters().handler_errors == 1);
    // And it goes on serving.
    send_multipart(broker.router, message(id, v02, {v02.request, "c", "", "y"}));
    CHECK(broker.next() == message(id, v02, {v02.reply, "c", "", "ERROR disk on fire"}));
}

TEST_CASE("worker: DISCONNECT from the broker makes it reconnect and send READY again",
          "[mdp][worker][reconnect]") {
    const protocol_t& p = GENERATE(std::cref(v01), std::cref(v02));
    CAPTURE(p.header);
    zmq::context_t context;
    fake_broker_t broker(context, p);
    running_worker_t worker(context, broker.endpoint, "svc", options_for(p),
                            zd::mdp::handler_t([](zd::mdp::frames_t body) { return body; }));
    const std::string first = broker.expect_ready("svc");
    send_multipart(broker.router, message(first, p, {p.disconnect}));
    const std::string second = broker.expect_ready("svc");
    CHECK(second != first); // a new socket: the old identity is forgotten
    CHECK(worker.worker().counters().disconnects_received == 1);
    CHECK(worker.worker().counters().connects == 2);
    // The new connection serves.
    send_multipart(broker.router, message(second, p, {p.request, "c", "", "again"}));
    CHECK(broker.next() == message(second, p, {p.reply, "c", "", "again"}));
}

TEST_CASE("worker: a silent broker is declared dead after interval x liveness",
          "[mdp][worker][reconnect]") {
    zmq::context_t context;
    fake_broker_t broker(context, v02);
    auto options = options_for(v02);
    options.heartbeat_liveness = 4; // silent broker noticed after 4 x 50 ms
    running_worker_t worker(context, broker.endpoint, "svc", options,
                            zd::mdp::handler_t([](zd::mdp::frames_t body) { return body; }));
    const auto started = std::chrono::steady_clock::now();
    std::string first;
    {
        const auto ready = recv_multipart(broker.router, 3s);
        REQUIRE(ready);
        first = ready->at(0);
    }
    // Say nothing: the worker's heartbeats arrive, then a READY from a new socket.
    std::string second;
    while (second.empty()) {
        const auto frames = recv_multipart(broker.router, 3s);
        REQUIRE(frames);
        if (frames->at(0) == first) {
            CHECK(*frames == message(first, v02, {v02.heartbeat}));
            continue;
        }
        CHECK(*frames == message(frames->at(0), v02, {v02.ready, "svc"}));
        second = frames->at(0);
    }
    CHECK(std::chrono::steady_clock::now() - started >= 4 * 50ms);
    CHECK(worker.worker().counters().broker_expired == 1);
}

TEST_CASE("worker: a request abandoned by a reconnect is cancelled and its answer dropped",
          "[mdp][worker][reconnect]") {
    zmq::context_t context;
    fake_broker_t broker(context, v02);
    std::atomic<bool> saw_cancel{false};
    running_worker_t worker(
        context, broker.endpoint, "svc", options_for(v02),
        zd::mdp::streaming_handler_t(
            [&saw_cancel](zd::mdp::frames_t body, zd::mdp::request_context_t& context) {
                if (body.at(0) != "lost") return body;
                pollfd item{context.cancel_fd(), POLLIN, 0}; // held until abandoned
                saw_cancel = ::poll(&item, 1, 5000) == 1 && context.cancelled();
                return body;
            }));
    const std::string first = broker.expect_ready("svc");
    send_multipart(broker.router, message(first, v02, {v02.request, "c", "", "lost"}));
    send_multipart(broker.router, message(first, v02, {v02.disconnect}));
    const std::string second = broker.expect_ready("svc"); // only once the handler returned
    CHECK(saw_cancel);
    CHECK(worker.worker().counters().abandoned == 1);
    send_multipart(broker.router, message(second, v02, {v02.request, "c", "", "kept"}));
    // The abandoned answer ("lost") never shows up, on either connection.
    CHECK(broker.next() == message(second, v02, {v02.reply, "c", "", "kept"}));
}

TEST_CASE("worker: stopping sends DISCONNECT and cancels the handler", "[mdp][worker][stop]") {
    const protocol_t& p = GENERATE(std::cref(v01), std::cref(v02));
    CAPTURE(p.header);
    zmq::context_t context;
    fake_broker_t broker(context, p);
    auto options = options_for(p);
    options.socket.linger_ms = 500; // let the DISCONNECT out
    std::promise<void> handler_started;
    running_worker_t worker(
        context, broker.endpoint, "svc", options,
        zd::mdp::streaming_handler_t(
            [&handler_started](zd::mdp::frames_t body, zd::mdp::request_context_t& context) {
                handler_started.set_value();
                pollfd item{context.cancel_fd(), POLLIN, 0};
                (void)::poll(&item, 1, 10000);
                return body;
            }));
    const std::string id = broker.expect_ready("svc");
    send_multipart(broker.router, message(id, p, {p.request, "c", "", "x"}));
    REQUIRE(handler_started.get_future().wait_for(3s) == std::future_status::ready);
    const auto started = std::chrono::steady_clock::now();
    REQUIRE(worker.stop(5s));
    CHECK(std::chrono::steady_clock::now() - started < 2s); // not the handler's 10 s
    CHECK(broker.next() == message(id, p, {p.disconnect}));
    CHECK(worker.worker().counters().replies == 0);
}

TEST_CASE("worker: bad arguments are refused up front", "[mdp][worker]") {
    zmq::context_t context;
    CHECK_THROWS_AS(zd::mdp::worker_t(context, "tcp://127.0.0.1:5555", ""), std::invalid_argument);
    CHECK_THROWS_WITH(zd::mdp::worker_t(context, "tcp://127.0.0.1:5555", "mmi.mine"),
                      Catch::Contains("mmi."));
    CHECK_THROWS_AS(zd::mdp::worker_t(context, "tcp://nohost", "svc"), zd::endpoint_error);
    auto options = fast_worker_options();
    options.heartbeat_liveness = 0;
    CHECK_THROWS_AS(zd::mdp::worker_t(context, "tcp://127.0.0.1:5555", "svc", options),
                    std::invalid_argument);
}

TEST_CASE("worker: request_stop before serve makes serve return at once", "[mdp][worker][stop]") {
    zmq::context_t context;
    zd::mdp::worker_t worker(context, "tcp://127.0.0.1:1", "svc", fast_worker_options());
    worker.request_stop();
    worker.serve(zd::mdp::handler_t([](zd::mdp::frames_t body) { return body; }));
    CHECK(worker.counters().connects == 0);
}

TEST_CASE("worker: a readable stop descriptor ends serve with a DISCONNECT",
          "[mdp][worker][stop]") {
    zmq::context_t context;
    fake_broker_t broker(context, v02);
    int stop_pipe[2];
    REQUIRE(pipe(stop_pipe) == 0);
    auto options = options_for(v02);
    options.stop_fd = stop_pipe[0];
    options.socket.linger_ms = 500; // let the DISCONNECT out
    running_worker_t worker(context, broker.endpoint, "svc", options,
                            zd::mdp::handler_t([](zd::mdp::frames_t body) { return body; }));
    const std::string id = broker.expect_ready("svc");
    REQUIRE(write(stop_pipe[1], "x", 1) == 1);
    CHECK(broker.next() == message(id, v02, {v02.disconnect}));
    CHECK(worker.stop(2s)); // serve() has returned (or returns now)
    close(stop_pipe[0]);
    close(stop_pipe[1]);
}
