// broker_t (lib/mdp/broker.hpp) driven directly: the test plays every client and worker,
// a recording outbox keeps what the broker sends, and time moves only when the test says so
// (see broker_harness.hpp). Each case is one promise of docs/BROKER.md: dispatch order,
// reply shapes, heartbeats, expiry with requeue, retries, limits, MMI, closed connections.
#include "broker_harness.hpp"
#include "json_reader.hpp"

using namespace zd::mdp;
using namespace zd::mdp::test;

namespace {
constexpr auto v01 = version::v01;
constexpr auto v02 = version::v02;
} // namespace

// ---------------------------------------------------------------------------------------
// Dispatch

TEST_CASE("requests go to the least recently used idle worker", "[broker]") {
    harness_t h;
    h.ready("A", "echo");
    h.ready("B", "echo");
    h.ready("C", "echo");
    CHECK(h.outbox.sent.empty()); // READY has no answer

    h.request("c1", "echo", {"1"});
    h.request("c2", "echo", {"2"});
    h.request("c3", "echo", {"3"});
    CHECK(h.outbox.take() == to_worker_v01("A", "c1", {"1"}));
    CHECK(h.outbox.take() == to_worker_v01("B", "c2", {"2"}));
    CHECK(h.outbox.take() == to_worker_v01("C", "c3", {"3"}));

    // They finish in the order A, C, B: that is now the least-recently-used order.
    h.reply("A", "c1", {"r1"});
    h.reply("C", "c3", {"r3"});
    h.reply("B", "c2", {"r2"});
    CHECK(h.outbox.take() == to_client_v01("c1", "echo", {"r1"}));
    CHECK(h.outbox.take() == to_client_v01("c3", "echo", {"r3"}));
    CHECK(h.outbox.take() == to_client_v01("c2", "echo", {"r2"}));

    h.request("c4", "echo", {"4"});
    h.request("c5", "echo", {"5"});
    h.request("c6", "echo", {"6"});
    CHECK(h.outbox.take() == to_worker_v01("A", "c4", {"4"}));
    CHECK(h.outbox.take() == to_worker_v01("C", "c5", {"5"}));
    CHECK(h.outbox.take() == to_worker_v01("B", "c6", {"6"}));
    CHECK(h.broker.counters().replies == 3);
    CHECK(h.stats("echo").served == 3);
}

TEST_CASE("queued requests are served first come, first served, per service", "[broker]") {
    harness_t h;
    h.request("c1", "echo", {"c1-first"}, v02);
    h.request("c2", "echo", {"c2-first"}, v02);
    h.request("c1", "echo", {"c1-second"}, v02);
    h.request("c3", "other", {"for other"}, v02);
    CHECK(h.stats("echo").queued == 3);
    CHECK(h.stats("other").queued == 1);
    CHECK(h.outbox.sent.empty());

    h.ready("W", "echo");
    CHECK(h.outbox.take() == to_worker_v01("W", "c1", {"c1-first"}));
    h.reply("W", "c1", {"a"});
    CHECK(h.outbox.take() == to_client_v02("c1", 0x03, "echo", {"a"}));
    CHECK(h.outbox.take() == to_worker_v01("W", "c2", {"c2-first"}));
    h.reply("W", "c2", {"b"});
    CHECK(h.outbox.take() == to_client_v02("c2", 0x03, "echo", {"b"}));
    CHECK(h.outbox.take() == to_worker_v01("W", "c1", {"c1-second"}));
    CHECK(h.outbox.sent.empty());
    CHECK(h.stats("other").queued == 1); // another service's worker never takes it
}

TEST_CASE("a busy worker gets no second request until it has replied", "[broker]") {
    harness_t h;
    h.ready("W", "echo");
    h.request("c1", "echo", {"1"});
    h.request("c2", "echo", {"2"});
    CHECK(h.outbox.take_all().size() == 1);
    CHECK(h.stats("echo").queued == 1);
    CHECK(h.stats("echo").in_flight == 1);
    CHECK(h.stats("echo").idle_workers == 0);
}

// ---------------------------------------------------------------------------------------
// Reply shapes

TEST_CASE("0.1 client (REQ) and 0.1 worker: the frame tables of 7/MDP", "[broker]") {
    harness_t h;
    h.ready("W", "echo");
    h.request("client", "echo", {"hello", "world"});
    CHECK(h.outbox.take() == to_worker_v01("W", "client", {"hello", "world"}));
    h.reply("W", "client", {"HELLO", "", "WORLD"});
    CHECK(h.outbox.take() == to_client_v01("client", "echo", {"HELLO", "", "WORLD"}));
}

TEST_CASE("0.2 client (DEALER) and 0.2 worker: the frame tables of 18/MDP", "[broker]") {
    harness_t h;
    h.ready("W", "echo", v02);
    h.request("client", "echo", {"hello"}, v02);
    CHECK(h.outbox.take() == to_worker_v02("W", "client", {"hello"}));
    h.reply("W", "client", {"HELLO"}, v02);
    CHECK(h.outbox.take() == to_client_v02("client", 0x03, "echo", {"HELLO"}));
}

TEST_CASE("a leading empty frame is mirrored, its absence too", "[broker]") {
    harness_t h;
    h.ready("W", "echo", v02);
    SECTION("0.2 client that sends an empty frame first (majortomo)") {
        h.receive({"client", "", "MDPC02", byte(0x01), "echo", "x"});
        h.outbox.take();
        h.reply("W", "client", {"y"}, v02);
        CHECK(h.outbox.take() == frames_t{"client", "", "MDPC02", byte(0x03), "echo", "y"});
    }
    SECTION("0.1 client on a DEALER that sends no empty frame") {
        h.receive({"client", "MDPC01", "echo", "x"});
        h.outbox.take();
        h.reply("W", "client", {"y"}, v02);
        CHECK(h.outbox.take() == frames_t{"client", "MDPC01", "echo", "y"});
    }
    SECTION("0.1 worker without the empty frame gets requests without it") {
        h.receive({"V", "MDPW01", byte(0x01), "other"});
        h.request("client", "other", {"x"});
        CHECK(h.outbox.take() == frames_t{"V", "MDPW01", byte(0x02), "client", "", "x"});
    }
}

TEST_CASE("PARTIAL reaches a 0.2 client, FINAL ends the request", "[broker]") {
    harness_t h;
    h.ready("W", "stream", v02);
    h.request("client", "stream", {"go"}, v02);
    h.outbox.take();
    h.partial("W", "client", {"part 1"});
    h.partial("W", "client", {"part 2", "more"});
    h.request("other", "stream", {"wait"}, v02); // W is still busy: this one queues
    h.reply("W", "client", {"end"}, v02);
    CHECK(h.outbox.take() == to_client_v02("client", 0x02, "stream", {"part 1"}));
    CHECK(h.outbox.take() == to_client_v02("client", 0x02, "stream", {"part 2", "more"}));
    CHECK(h.outbox.take() == to_client_v02("client", 0x03, "stream", {"end"}));
    CHECK(h.outbox.take() == to_worker_v02("W", "other", {"wait"}));
    CHECK(h.broker.counters().partials == 2);
    CHECK(h.broker.counters().replies == 1);
    CHECK(h.stats("stream").served == 1);
}

TEST_CASE("PARTIAL for a 0.1 client is dropped and counted, its FINAL arrives", "[broker]") {
    harness_t h;
    h.ready("W", "stream", v02);
    h.request("client", "stream", {"go"}, v01);
    h.outbox.take();
    h.partial("W", "client", {"part"});
    CHECK(h.outbox.sent.empty());
    CHECK(h.broker.counters().dropped_partials == 1);
    h.reply("W", "client", {"end"}, v02);
    CHECK(h.outbox.take() == to_client_v01("client", "stream", {"end"}));
    CHECK(h.broker.counters().partials == 0);
    CHECK(h.broker.counters().replies == 1);
}

TEST_CASE("bodies of more than 64 frames are carried whole", "[broker]") {
    harness_t h;
    h.ready("W", "echo");
    frames_t body;
    for (int i = 0; i < 100; ++i)
        body.push_back("frame " + std::to_string(i));
    h.request("client", "echo", body);
    CHECK(h.outbox.take() == to_worker_v01("W", "client", body));
    h.reply("W", "client", body);
    CHECK(h.outbox.take() == to_client_v01("client", "echo", body));
}

// ---------------------------------------------------------------------------------------
// Heartbeats and worker expiry

TEST_CASE("HEARTBEAT goes to a worker the broker has sent nothing for one interval", "[broker]") {
    harness_t h;
    h.ready("W", "echo");
    h.ready("V", "other", v02);
    h.advance(999ms);
    CHECK(h.outbox.sent.empty());
    h.advance(1ms);
    auto beats = h.outbox.take_all();
    REQUIRE(beats.size() == 2);
    CHECK(std::count(beats.begin(), beats.end(), heartbeat_v01("W")) == 1);
    CHECK(std::count(beats.begin(), beats.end(), frames_t{"V", "MDPW02", byte(0x05)}) == 1);
    h.heartbeat("W");
    h.heartbeat("V", v02);

    // A request sent to W at +1500 is "something": W's next heartbeat is due one interval
    // after it, V's one interval after its last heartbeat.
    h.advance(500ms);
    h.request("c", "echo", {"x"});
    CHECK(h.outbox.take() == to_worker_v01("W", "c", {"x"}));
    h.advance(500ms); // +2000
    CHECK(h.outbox.take_all() == std::vector<frames_t>{{"V", "MDPW02", byte(0x05)}});
    h.advance(499ms);
    CHECK(h.outbox.sent.empty());
    h.advance(1ms); // +2500: W is busy, but it has been sent nothing for an interval
    CHECK(h.outbox.take_all() == std::vector<frames_t>{heartbeat_v01("W")});
}

TEST_CASE("an idle worker silent for interval x liveness is removed", "[broker]") {
    harness_t h; // 1000 ms x 3
    h.ready("W", "echo");
    h.ready("V", "echo");
    h.advance(2000ms);
    h.heartbeat("V"); // V lives on to +5000
    h.advance(999ms);
    CHECK(h.broker.worker_count() == 2);
    h.advance(1ms); // +3000
    CHECK(h.broker.worker_count() == 1);
    CHECK(h.broker.counters().workers_expired == 1);
    CHECK(h.stats("echo").workers == 1);
    h.advance(1999ms);
    CHECK(h.broker.worker_count() == 1);
    h.advance(1ms); // +5000
    CHECK(h.broker.worker_count() == 0);
    CHECK(h.broker.counters().workers_expired == 2);
    // Nothing is sent to an expired worker, not even DISCONNECT: it is presumed dead.
    h.outbox.take_all();
    h.request("c", "echo", {"x"});
    CHECK(h.outbox.sent.empty());
}

TEST_CASE("a busy worker that goes silent expires, its request is served next, by another",
          "[broker]") {
    harness_t h;
    h.ready("W1", "echo");
    h.ready("W2", "echo");
    h.request("c1", "echo", {"r1"}, v02);
    h.request("c2", "echo", {"r2"}, v02);
    h.request("c3", "echo", {"r3"}, v02); // waits behind r1 and r2
    CHECK(h.outbox.take() == to_worker_v01("W1", "c1", {"r1"}));
    CHECK(h.outbox.take() == to_worker_v01("W2", "c2", {"r2"}));
    h.advance(2000ms);
    h.heartbeat("W2"); // W2 works and says so; W1 hangs
    h.advance(1000ms); // +3000: W1 expires
    CHECK(h.broker.counters().workers_expired == 1);
    CHECK(h.broker.counters().retried == 1);
    CHECK(h.stats("echo").retried == 1);
    CHECK(h.stats("echo").queued == 2);
    h.outbox.take_all(); // heartbeats

    h.reply("W2", "c2", {"R2"});
    CHECK(h.outbox.take() == to_client_v02("c2", 0x03, "echo", {"R2"}));
    // r1 went back to the front of the queue, ahead of r3.
    CHECK(h.outbox.take() == to_worker_v01("W2", "c1", {"r1"}));
    h.reply("W2", "c1", {"R1"});
    CHECK(h.outbox.take() == to_client_v02("c1", 0x03, "echo", {"R1"}));
    CHECK(h.outbox.take() == to_worker_v01("W2", "c3", {"r3"}));
}

TEST_CASE("a worker's HEARTBEATs keep it alive", "[broker]") {
    harness_t h;
    h.ready("W", "echo");
    for (int i = 0; i < 10; ++i) {
        h.advance(2500ms);
        h.heartbeat("W");
    }
    CHECK(h.broker.worker_count() == 1);
    CHECK(h.broker.counters().workers_expired == 0);
}

// ---------------------------------------------------------------------------------------
// Retries, expiry, limits

TEST_CASE("a request is re-dispatched max_retries times, then it fails", "[broker]") {
    auto config = test_config();
    config.max_retries = 2;
    harness_t h(config);
    h.request("c1", "echo", {"body", "2"});
    for (int attempt = 1; attempt <= 3; ++attempt) {
        const std::string worker = "W" + std::to_string(attempt);
        h.ready(worker, "echo");
        INFO("attempt " << attempt);
        CHECK(h.outbox.take() == to_worker_v01(worker, "c1", {"body", "2"}));
        h.worker_disconnect(worker);
    }
    CHECK(h.broker.counters().retried == 2);
    CHECK(h.broker.counters().failed == 1);
    CHECK(h.stats("echo").failed == 1);
    CHECK(h.stats("echo").queued == 0);
    CHECK(h.broker.client_count() == 0);
    h.ready("W4", "echo");
    CHECK(h.outbox.sent.empty());
}

TEST_CASE("with max_retries 0 the first worker death fails the request", "[broker]") {
    auto config = test_config();
    config.max_retries = 0;
    harness_t h(config);
    h.ready("W", "echo");
    h.request("c1", "echo", {"x"});
    h.worker_disconnect("W");
    CHECK(h.broker.counters().failed == 1);
    CHECK(h.broker.counters().retried == 0);
}

TEST_CASE("a request queued for request_timeout expires, unanswered", "[broker]") {
    harness_t h; // 10 s
    h.request("c1", "echo", {"first"});
    h.advance(5000ms);
    h.request("c2", "echo", {"second"});
    h.advance(4999ms);
    CHECK(h.stats("echo").queued == 2);
    h.advance(1ms); // first is 10 s old
    CHECK(h.stats("echo").queued == 1);
    CHECK(h.stats("echo").expired == 1);
    CHECK(h.broker.counters().expired == 1);
    CHECK(h.broker.client_count() == 1);
    h.ready("W", "echo");
    CHECK(h.outbox.take_all() == std::vector<frames_t>{to_worker_v01("W", "c2", {"second"})});
}

TEST_CASE("a full service queue refuses further requests", "[broker]") {
    auto config = test_config();
    config.max_queue = 2;
    harness_t h(config);
    h.request("c1", "echo", {"1"}, v02);
    h.request("c2", "echo", {"2"}, v02);
    h.request("c3", "echo", {"3"}, v02);
    CHECK(h.stats("echo").queued == 2);
    CHECK(h.stats("echo").rejected == 1);
    CHECK(h.broker.counters().rejected == 1);
    CHECK(h.broker.client_count() == 2); // a refused request leaves nothing behind
    CHECK(h.outbox.sent.empty());        // and is not answered: MDP has no error reply

    h.ready("W", "echo"); // takes 1: there is room for one more
    h.request("c4", "echo", {"4"}, v02);
    h.request("c5", "echo", {"5"}, v02);
    CHECK(h.stats("echo").queued == 2);
    CHECK(h.stats("echo").rejected == 2);
}

// Issue 11: the zguide's asynchronous client (mdclient2) sends 100 000 requests before it
// reads a reply. The reference broker queues them all; a count limit of 10 000 by default
// dropped 89 849 of them, and MDP cannot tell the client.
TEST_CASE("under the default limits the zguide's 100 000 requests all wait their turn",
          "[broker]") {
    // Volume: the peers' messages are built in place and the outbox only counts, so that the
    // case stays quick under the sanitizers.
    struct counting_outbox_t : outbox_t {
        bool send(std::vector<zmq::message_t>&) override { return ++sent, true; }
        std::uint64_t sent = 0;
    } outbox;
    broker_t broker(broker_config_t{}, outbox);
    int reports = 0;
    broker.set_refusal_reporter([&reports](const refusal_report_t&) { ++reports; });
    std::vector<zmq::message_t> frames;
    auto feed = [&](std::initializer_list<std::string_view> text) {
        frames.clear();
        for (const auto frame : text)
            frames.emplace_back(frame.data(), frame.size());
        broker.on_message(frames, connection_t{}, t0);
    };
    const std::string ready = byte(0x01), reply = byte(0x03);
    for (int i = 0; i < 100000; ++i) // mdclient2: all of them before any reply
        feed({"client", "", "MDPC01", "echo", "Hello world"});
    service_stats_t stats;
    REQUIRE(broker.service_stats("echo", stats));
    CHECK(broker.counters().rejected == 0);
    CHECK(stats.queued == 100000);
    CHECK(stats.queued_bytes == 100000 * queued_request_bytes(1, 11));
    CHECK(reports == 0);

    feed({"W", "", "MDPW01", ready, "echo"});
    for (int i = 0; i < 100000; ++i)
        feed({"W", "", "MDPW01", reply, "client", "", "Hello world"});
    CHECK(broker.counters().replies == 100000);
    CHECK(outbox.sent == 200000); // each request to W, each reply to the client
    REQUIRE(broker.service_stats("echo", stats));
    CHECK(stats.queued_bytes == 0);
}

TEST_CASE("max_queue 0: no count limit", "[broker]") {
    auto config = test_config();
    config.max_queue = 0;
    harness_t h(config);
    for (int i = 0; i < 20000; ++i)
        h.request("c" + std::to_string(i % 10), "echo", {std::to_string(i)}, v02);
    CHECK(h.stats("echo").queued == 20000);
    CHECK(h.broker.counters().rejected == 0);
}

TEST_CASE("a service's queue is bounded by the bytes its requests hold", "[broker]") {
    auto config = test_config();
    config.max_queue = 0;
    const std::size_t ten = queued_request_bytes(1, 10); // one frame of 10 bytes
    config.max_queue_bytes = 3 * ten;
    harness_t h(config);
    for (int i = 0; i < 4; ++i)
        h.request("c" + std::to_string(i), "echo", {"0123456789"}, v02);
    CHECK(h.stats("echo").queued == 3);
    CHECK(h.stats("echo").queued_bytes == 3 * ten);
    CHECK(h.stats("echo").rejected == 1);
    CHECK(h.broker.counters().rejected == 1);
    CHECK(h.broker.client_count() == 3); // the refused request left nothing behind
    CHECK(h.outbox.sent.empty());        // and has no answer: MDP has none

    // A worker takes one: room for a request of the same size, not for a larger one. Frames
    // count too: two frames of 5 bytes hold more than one of 10.
    h.ready("W", "echo");
    CHECK(h.outbox.take() == to_worker_v01("W", "c0", {"0123456789"}));
    CHECK(h.stats("echo").queued_bytes == 2 * ten);
    h.request("big", "echo", {"0123456789A"}, v02);
    h.request("two", "echo", {"01234", "56789"}, v02);
    CHECK(h.stats("echo").rejected == 3);
    h.request("c4", "echo", {"abcdefghij"}, v02);
    CHECK(h.stats("echo").queued == 3);
    CHECK(h.stats("echo").queued_bytes == 3 * ten);

    // What a dead worker held goes back to the front even past the limit: it was accepted.
    h.worker_disconnect("W");
    CHECK(h.stats("echo").queued == 4);
    CHECK(h.stats("echo").queued_bytes == 4 * ten);
    h.request("c5", "echo", {"x"}, v02);
    CHECK(h.stats("echo").rejected == 4);

    // Expiry gives the bytes back (dispatch did above; abandonment goes the same way, finish).
    h.advance(10000ms);
    CHECK(h.stats("echo").queued == 0);
    CHECK(h.stats("echo").queued_bytes == 0);
    CHECK(h.broker.counters().rejected == 4);
}

TEST_CASE("a request larger than max_queue_bytes is served if it need not wait", "[broker]") {
    auto config = test_config();
    config.max_queue_bytes = queued_request_bytes(1, 10);
    harness_t h(config);
    const std::string large(1000, 'x');
    h.ready("W", "echo");
    h.request("c1", "echo", {large}, v02);
    CHECK(h.outbox.take() == to_worker_v01("W", "c1", {large}));
    h.request("c2", "echo", {large}, v02); // W is busy: it would wait
    CHECK(h.stats("echo").rejected == 1);
    CHECK(h.stats("echo").queued == 0);
}

TEST_CASE("refusals are reported: a service's first at once, then at most once per interval",
          "[broker]") {
    auto config = test_config();
    config.max_queue = 2;
    config.request_timeout = 600000ms; // nothing expires here
    config.refusal_report_interval = 10000ms;
    harness_t h(config);
    const std::size_t cost = queued_request_bytes(1, 1);
    for (int i = 0; i < 3; ++i)
        h.request("c", "echo", {"x"}, v02);
    REQUIRE(h.reports.size() == 1);
    CHECK(h.reports[0] == recorded_report_t{"echo", queue_limit::requests, 1, true, 2, 2 * cost});

    // Two more within the interval: counted, not reported yet.
    h.advance(1000ms);
    h.request("c", "echo", {"x"}, v02);
    h.request("c", "echo", {"x"}, v02);
    h.advance(8999ms);
    CHECK(h.reports.size() == 1);
    h.advance(1ms); // the interval is over: the timer reports what was held back
    REQUIRE(h.reports.size() == 2);
    CHECK(h.reports[1] == recorded_report_t{"echo", queue_limit::requests, 2, false, 2, 2 * cost});

    // Another service is reported on its own; nothing to report is no report.
    h.request("d", "other", {"x"}, v02);
    h.request("d", "other", {"x"}, v02);
    h.request("d", "other", {"x"}, v02);
    REQUIRE(h.reports.size() == 3);
    CHECK(h.reports[2].service == "other");
    CHECK(h.reports[2].first);
    h.advance(30000ms);
    CHECK(h.reports.size() == 3);
    CHECK(h.stats("echo").rejected == 3);
    CHECK(h.broker.counters().rejected == 4);

    // After a quiet interval the next refusal is reported at once, as no longer the first.
    h.request("c", "echo", {"x"}, v02);
    REQUIRE(h.reports.size() == 4);
    CHECK(h.reports[3] == recorded_report_t{"echo", queue_limit::requests, 1, false, 2, 2 * cost});
}

TEST_CASE("refusal reports name the limit: bytes, requests, services", "[broker]") {
    auto config = test_config();
    config.max_queue = 2;
    config.max_queue_bytes = 2 * queued_request_bytes(1, 100);
    config.max_services = 2;
    harness_t h(config);
    const std::string hundred(100, 'x');
    h.request("c", "a", {hundred, hundred, hundred}, v02); // larger than the limit
    h.request("c", "b", {"x"}, v02);
    h.request("c", "b", {"x"}, v02);
    h.request("c", "b", {"x"}, v02);
    h.request("c", "new", {"x"}, v02);
    REQUIRE(h.reports.size() == 3);
    CHECK(h.reports[0] == recorded_report_t{"a", queue_limit::bytes, 1, true, 0, 0});
    CHECK(h.reports[1].limit == queue_limit::requests);
    CHECK(h.reports[2] == recorded_report_t{"new", queue_limit::services, 1, true, 0, 0});
    h.request("c", "newer", {"x"}, v02);
    h.advance(10000ms);
    REQUIRE(h.reports.size() == 4);
    CHECK(h.reports[3] == recorded_report_t{"newer", queue_limit::services, 1, false, 0, 0});
}

TEST_CASE("refusals not yet reported are reported before their service is forgotten", "[broker]") {
    auto config = test_config(); // service_ttl 5 s
    config.max_queue = 1;
    config.request_timeout = 1000ms;
    config.refusal_report_interval = 60000ms;
    harness_t h(config);
    h.request("c", "echo", {"x"}, v02);
    h.request("c", "echo", {"x"}, v02); // reported
    h.request("c", "echo", {"x"}, v02); // held back
    REQUIRE(h.reports.size() == 1);
    h.advance(1000ms); // the queued request expires
    h.advance(4999ms);
    CHECK(h.reports.size() == 1);
    h.advance(1ms); // forgotten 5 s after it became idle, long before the interval is over
    CHECK_FALSE(h.knows("echo"));
    REQUIRE(h.reports.size() == 2);
    CHECK(h.reports[1] == recorded_report_t{"echo", queue_limit::requests, 1, false, 0, 0});
}

TEST_CASE("past max_services, new services are refused, MMI does not count", "[broker]") {
    auto config = test_config();
    config.max_services = 2;
    harness_t h(config);
    h.request("c1", "a", {"x"});
    h.ready("Wb", "b");
    CHECK(h.broker.service_count() == 2);
    h.request("c2", "c", {"x"});
    CHECK(h.broker.counters().rejected == 1);
    CHECK_FALSE(h.knows("c"));
    h.ready("Wc", "c");
    CHECK(h.outbox.take() == disconnect_v01("Wc"));
    CHECK(h.broker.counters().disconnects_sent == 1);
    CHECK(h.broker.worker_count() == 1);
    // Known services still work, and MMI is answered without creating one.
    h.request("c3", "mmi.service", {"b"});
    CHECK(h.outbox.take() == to_client_v01("c3", "mmi.service", {"200"}));
    h.request("c4", "b", {"y"});
    CHECK(h.outbox.take() == to_worker_v01("Wb", "c4", {"y"}));
    CHECK(h.broker.service_count() == 2);
}

TEST_CASE("a service with no workers and no requests is forgotten after service_ttl", "[broker]") {
    harness_t h; // ttl 5 s, liveness 3 s
    h.ready("W", "echo");
    for (int i = 0; i < 8; ++i) { // 8 s with a worker: kept
        h.advance(1000ms);
        h.heartbeat("W");
    }
    CHECK(h.knows("echo"));
    h.worker_disconnect("W");
    h.advance(4999ms);
    CHECK(h.knows("echo"));
    h.advance(1ms);
    CHECK_FALSE(h.knows("echo"));
    CHECK(h.broker.service_count() == 0);
}

TEST_CASE("a service is kept while requests wait for it, however long", "[broker]") {
    auto config = test_config();
    config.request_timeout = 60000ms;
    harness_t h(config);
    h.request("c1", "echo", {"x"});
    h.advance(30000ms);
    CHECK(h.knows("echo"));
    CHECK(h.stats("echo").queued == 1);
}

TEST_CASE("a service is kept while a request is in flight, however long", "[broker]") {
    harness_t h;
    h.ready("W", "echo");
    h.request("c1", "echo", {"x"});
    for (int i = 0; i < 20; ++i) {
        h.advance(1000ms);
        h.heartbeat("W");
    }
    h.reply("W", "c1", {"y"});
    CHECK(h.knows("echo"));
}

// docs/BROKER.md: "a service with no workers, no queued and no in-flight request is
// forgotten" after --service-ttl; the idle time starts when the last request leaves.
TEST_CASE("service_ttl counts from when the service became idle, not from its creation",
          "[broker]") {
    harness_t h; // request timeout 10 s, ttl 5 s
    h.request("c1", "echo", {"x"});
    h.advance(10000ms); // the request expires now: the service is idle from here
    CHECK(h.broker.counters().expired == 1);
    CHECK(h.knows("echo"));
    h.advance(4999ms);
    CHECK(h.knows("echo"));
    h.advance(1ms);
    CHECK_FALSE(h.knows("echo"));
}

// ---------------------------------------------------------------------------------------
// Unexpected commands: DISCONNECT and nothing more

TEST_CASE("READY twice: DISCONNECT, and the worker is removed", "[broker]") {
    harness_t h;
    h.ready("W", "echo");
    h.ready("W", "echo");
    CHECK(h.outbox.take_all() == std::vector<frames_t>{disconnect_v01("W")});
    CHECK(h.broker.worker_count() == 0);
    CHECK(h.stats("echo").workers == 0);
    CHECK(h.broker.counters().disconnects_sent == 1);
    CHECK(h.broker.counters().protocol_errors == 0); // valid MDP, wrong moment
}

TEST_CASE("READY twice from a busy worker requeues its request", "[broker]") {
    harness_t h;
    h.ready("W", "echo");
    h.request("c1", "echo", {"x"});
    h.outbox.take();
    h.ready("W", "echo");
    CHECK(h.outbox.take() == disconnect_v01("W"));
    CHECK(h.stats("echo").queued == 1);
    CHECK(h.broker.counters().retried == 1);
    h.ready("V", "echo");
    CHECK(h.outbox.take() == to_worker_v01("V", "c1", {"x"}));
}

TEST_CASE("REPLY, PARTIAL or HEARTBEAT from a worker that never sent READY: DISCONNECT",
          "[broker]") {
    harness_t h;
    h.reply("X", "c1", {"r"});
    CHECK(h.outbox.take() == disconnect_v01("X"));
    h.reply("Y", "c1", {"r"}, v02);
    CHECK(h.outbox.take() == frames_t{"Y", "MDPW02", byte(0x06)});
    h.partial("Z", "c1", {"p"});
    CHECK(h.outbox.take() == frames_t{"Z", "MDPW02", byte(0x06)});
    h.heartbeat("H");
    CHECK(h.outbox.take() == disconnect_v01("H"));
    CHECK(h.broker.counters().disconnects_sent == 4);
    CHECK(h.broker.worker_count() == 0);
    CHECK(h.outbox.sent.empty());
}

TEST_CASE("DISCONNECT from an unknown worker is ignored", "[broker]") {
    harness_t h;
    h.worker_disconnect("X");
    h.worker_disconnect("Y", v02);
    CHECK(h.outbox.sent.empty());
    CHECK(h.broker.counters().disconnects_sent == 0);
    CHECK(h.broker.counters().protocol_errors == 0);
}

TEST_CASE("REPLY from an idle worker: DISCONNECT and removed", "[broker]") {
    harness_t h;
    h.ready("W", "echo");
    h.reply("W", "c1", {"r"});
    CHECK(h.outbox.take() == disconnect_v01("W"));
    CHECK(h.broker.worker_count() == 0);
}

TEST_CASE("a worker that sends REQUEST (0x02) is disconnected", "[broker]") {
    harness_t h;
    h.ready("W", "echo");
    h.receive({"W", "", "MDPW01", byte(0x02), "c1", "", "x"});
    CHECK(h.outbox.take() == disconnect_v01("W"));
    CHECK(h.broker.worker_count() == 0);
}

TEST_CASE("a worker may not register an mmi.* service", "[broker]") {
    harness_t h;
    h.ready("W", "mmi.service");
    CHECK(h.outbox.take() == disconnect_v01("W"));
    h.ready("V", "mmi.mine", v02);
    CHECK(h.outbox.take() == frames_t{"V", "MDPW02", byte(0x06)});
    CHECK(h.broker.worker_count() == 0);
    CHECK(h.broker.service_count() == 0);
    CHECK(h.broker.counters().disconnects_sent == 2);
}

TEST_CASE("a reply for another client than the one asked is a broken worker", "[broker]") {
    harness_t h;
    h.ready("W", "echo");
    h.request("c1", "echo", {"x"});
    h.outbox.take();
    h.reply("W", "c2", {"forged"});
    CHECK(h.outbox.take_all() == std::vector<frames_t>{disconnect_v01("W")});
    CHECK(h.broker.counters().protocol_errors == 1);
    CHECK(h.broker.worker_count() == 0);
    CHECK(h.stats("echo").queued == 1); // c1's request waits for an honest worker
    CHECK(h.broker.counters().retried == 1);
}

TEST_CASE("an invalid message from a known worker: dropped, worker disconnected and removed",
          "[broker]") {
    harness_t h;
    h.ready("W", "echo");
    h.request("c1", "echo", {"x"});
    h.outbox.take();
    h.receive({"W", "", "MDPW01", byte(0x09)});
    CHECK(h.outbox.take_all() == std::vector<frames_t>{disconnect_v01("W")});
    CHECK(h.broker.counters().protocol_errors == 1);
    CHECK(h.broker.worker_count() == 0);
    CHECK(h.stats("echo").queued == 1);
}

TEST_CASE("an invalid message from anyone else: dropped and counted, nothing sent", "[broker]") {
    harness_t h;
    const std::vector<frames_t> malformed = {
        {"p"},
        {"p", ""},
        {"p", "MDPC01"},
        {"p", "", "MDPC01", "echo"},
        {"p", "MDPC02", byte(0x02), "echo", "x"},
        {"p", "HTTP/1.1", "GET /"},
        {"p", "", "MDPW01", byte(0x01)},
        {"p", "", "MDPW01", byte(0x04), "extra"},
        {"p", "MDPW02", byte(0x04), "client", "not empty", "x"},
        {"p", "", "MDPC01", std::string(256, 's'), "x"},
    };
    for (const auto& frames : malformed)
        h.receive(frames);
    frames_t long_heartbeat{"p", "", "MDPW01", byte(0x04)};
    long_heartbeat.resize(70, "x"); // past the 64 frames the decoder looks at
    h.receive(long_heartbeat);
    CHECK(h.broker.counters().protocol_errors == malformed.size() + 1);
    CHECK(h.outbox.sent.empty());
    CHECK(h.broker.service_count() == 0);
    CHECK(h.broker.client_count() == 0);
    CHECK(h.broker.counters().requests == 0);
}

// ---------------------------------------------------------------------------------------
// MMI

TEST_CASE("mmi.service: 200 while a live worker is registered, 404 before and after", "[broker]") {
    harness_t h;
    h.request("c", "mmi.service", {"echo"});
    CHECK(h.outbox.take() == to_client_v01("c", "mmi.service", {"404"}));
    CHECK_FALSE(h.knows("echo")); // MMI never creates a service

    h.ready("W", "echo");
    h.request("c", "mmi.service", {"echo"});
    CHECK(h.outbox.take() == to_client_v01("c", "mmi.service", {"200"}));
    h.request("c2", "mmi.service", {"echo"}, v02);
    CHECK(h.outbox.take() == to_client_v02("c2", 0x03, "mmi.service", {"200"}));

    h.advance(3000ms); // W never heartbeats: it expires
    h.outbox.take_all();
    REQUIRE(h.broker.worker_count() == 0);
    h.request("c", "mmi.service", {"echo"});
    CHECK(h.outbox.take() == to_client_v01("c", "mmi.service", {"404"}));
    CHECK(h.broker.counters().requests == 4);
    CHECK(h.broker.counters().replies == 4);
    CHECK(h.broker.client_count() == 0);
}

TEST_CASE("mmi.service: 404 for a service that only has queued requests", "[broker]") {
    harness_t h;
    h.request("c1", "echo", {"x"});
    h.request("c", "mmi.service", {"echo"});
    CHECK(h.outbox.take() == to_client_v01("c", "mmi.service", {"404"}));
}

TEST_CASE("mmi.services lists every service as JSON", "[broker]") {
    harness_t h;
    h.ready("W1", "echo");
    h.ready("W2", "echo");
    h.request("c1", "echo", {"x"});
    h.request("c2", "queued", {"y"});
    h.outbox.take_all();
    h.request("c", "mmi.services", {""});
    const frames_t reply = h.outbox.take();
    REQUIRE(reply.size() == 5);
    CHECK(reply[3] == "mmi.services");
    const auto json = zd::test::parse_json(reply[4]);
    CHECK(json.keys().size() == 2);
    CHECK(json["echo"]["workers"].as_uint64() == 2);
    CHECK(json["echo"]["idle"].as_uint64() == 1);
    CHECK(json["echo"]["in_flight"].as_uint64() == 1);
    CHECK(json["queued"]["queued"].as_uint64() == 1);
    CHECK(json["queued"]["workers"].as_uint64() == 0);
}

TEST_CASE("mmi.stats answers the broker's statistics", "[broker]") {
    harness_t h;
    h.request("c", "mmi.stats", {""});
    const frames_t reply = h.outbox.take();
    REQUIRE(reply.size() == 5);
    const auto json = zd::test::parse_json(reply[4]);
    CHECK(json["requests"].as_uint64() == 1);
    CHECK(json.has("services"));
}

TEST_CASE("unknown mmi.* services answer 501", "[broker]") {
    harness_t h;
    h.request("c", "mmi.nothing", {"x"});
    CHECK(h.outbox.take() == to_client_v01("c", "mmi.nothing", {"501"}));
    h.request("c", "mmi.", {"x"}, v02);
    CHECK(h.outbox.take() == to_client_v02("c", 0x03, "mmi.", {"501"}));
    CHECK(h.broker.service_count() == 0);
}

TEST_CASE("an MMI answer to a client that is gone is counted unroutable", "[broker]") {
    harness_t h;
    h.outbox.refused.insert("c");
    h.request("c", "mmi.service", {"echo"});
    CHECK(h.broker.counters().unroutable_replies == 1);
    CHECK(h.broker.counters().replies == 0);
}

// ---------------------------------------------------------------------------------------
// Closed connections and gone peers

TEST_CASE("a worker's connection closes: removed, its request served by another", "[broker]") {
    harness_t h;
    const connection_t conn_a{10, 1000}, conn_b{11, 1100};
    h.ready("W1", "echo", v01, conn_a);
    h.ready("W2", "echo", v01, conn_b);
    h.request("c1", "echo", {"x"});
    CHECK(h.outbox.take() == to_worker_v01("W1", "c1", {"x"}));
    h.close(conn_a);
    CHECK(h.broker.worker_count() == 1);
    CHECK(h.broker.counters().retried == 1);
    CHECK(h.outbox.take() == to_worker_v01("W2", "c1", {"x"}));
    CHECK(h.broker.counters().workers_expired == 0);
}

TEST_CASE("the connection is looked up only for a new peer, before its message is handled",
          "[broker]") {
    harness_t h;
    int lookups = 0;
    auto feed = [&](const frames_t& text, connection_t connection) {
        std::vector<zmq::message_t> frames;
        for (const auto& frame : text)
            frames.emplace_back(frame.data(), frame.size());
        h.broker.on_message(
            frames,
            [&] {
                ++lookups;
                return connection;
            },
            h.now);
    };
    const connection_t worker_conn{20, 2000}, client_conn{21, 2100};
    feed({"W", "MDPW02", byte(0x01), "echo"}, worker_conn); // READY: new worker
    CHECK(lookups == 1);
    feed({"c", "MDPC02", byte(0x01), "echo", "1"}, client_conn); // new client
    feed({"c", "MDPC02", byte(0x01), "echo", "2"}, client_conn); // known client
    CHECK(lookups == 2);
    feed({"W", "MDPW02", byte(0x05)}, worker_conn);                // HEARTBEAT
    feed({"W", "MDPW02", byte(0x04), "c", "", "R1"}, worker_conn); // FINAL
    feed({"W", "MDPW02", byte(0x04), "c", "", "R2"}, worker_conn); // FINAL
    CHECK(lookups == 2);
    CHECK(h.broker.client_count() == 0);                         // c is forgotten once answered...
    feed({"c", "MDPC02", byte(0x01), "echo", "3"}, client_conn); // ...so it is new again
    CHECK(lookups == 3);
    // The connections recorded are the ones looked up: closing them removes the peers.
    h.close(worker_conn);
    CHECK(h.broker.worker_count() == 0);
    h.close(client_conn);
    CHECK(h.broker.client_count() == 0);
    CHECK(h.broker.counters().abandoned == 1);
}

TEST_CASE("a client's connection closes: queued requests abandoned, in-flight one finishes",
          "[broker]") {
    harness_t h;
    const connection_t client_conn{12, 1200};
    h.request("c1", "echo", {"1"}, v02, client_conn);
    h.request("c1", "echo", {"2"}, v02, client_conn);
    h.request("c1", "echo", {"3"}, v02, client_conn);
    h.ready("W", "echo");
    CHECK(h.outbox.take() == to_worker_v01("W", "c1", {"1"}));
    h.close(client_conn);
    CHECK(h.broker.counters().abandoned == 2);
    CHECK(h.stats("echo").queued == 0);
    CHECK(h.stats("echo").in_flight == 1);
    CHECK(h.broker.client_count() == 1);

    h.outbox.refused.insert("c1"); // the ROUTER has no route to it any more
    h.reply("W", "c1", {"late"});
    CHECK(h.broker.counters().unroutable_replies == 1);
    CHECK(h.broker.counters().replies == 0);
    CHECK(h.broker.client_count() == 0);
    CHECK(h.stats("echo").idle_workers == 1); // the worker was never disturbed
    h.request("c2", "echo", {"next"});
    CHECK(h.outbox.take() == to_worker_v01("W", "c2", {"next"}));
}

TEST_CASE("a closed connection whose descriptor was reused affects nobody", "[broker]") {
    harness_t h;
    h.ready("W", "echo", v01, {10, 1000});
    h.request("c1", "other", {"x"}, v01, {11, 1100});
    h.close({10, 9999}); // same number, another socket
    h.close({11, 9998});
    h.close({12, 1000}); // same inode, another number: not the same either
    CHECK(h.broker.worker_count() == 1);
    CHECK(h.stats("other").queued == 1);
    CHECK(h.broker.counters().abandoned == 0);
    h.close({10, 1000}); // the real one
    CHECK(h.broker.worker_count() == 0);
}

TEST_CASE("peers sharing one connection are all affected when it closes", "[broker]") {
    harness_t h;
    const connection_t shared{10, 1000};
    h.ready("W1", "a", v01, shared);
    h.ready("W2", "b", v01, shared);
    h.request("c1", "q", {"x"}, v02, shared);
    h.close(shared);
    CHECK(h.broker.worker_count() == 0);
    CHECK(h.broker.client_count() == 0);
    CHECK(h.broker.counters().abandoned == 1);
}

TEST_CASE("a reply to a client the router refuses is counted unroutable", "[broker]") {
    harness_t h;
    h.ready("W", "echo");
    h.request("c1", "echo", {"x"});
    h.outbox.take();
    h.outbox.refused.insert("c1");
    h.reply("W", "c1", {"y"});
    CHECK(h.outbox.refusals == 1);
    CHECK(h.broker.counters().unroutable_replies == 1);
    CHECK(h.broker.counters().replies == 0);
    CHECK(h.broker.client_count() == 0);
    h.request("c2", "echo", {"z"}); // the worker is free again
    CHECK(h.outbox.take() == to_worker_v01("W", "c2", {"z"}));
}

TEST_CASE("a worker the router cannot reach is removed, the request is no retry", "[broker]") {
    harness_t h;
    h.ready("W1", "echo");
    h.ready("W2", "echo");
    h.outbox.refused.insert("W1");
    h.request("c1", "echo", {"x"});
    CHECK(h.outbox.take_all() == std::vector<frames_t>{to_worker_v01("W2", "c1", {"x"})});
    CHECK(h.broker.worker_count() == 1);
    CHECK(h.broker.counters().retried == 0);
}

TEST_CASE("every reachable worker refuses: the request stays queued", "[broker]") {
    harness_t h;
    for (const char* worker : {"W1", "W2", "W3"}) {
        h.ready(worker, "echo");
        h.outbox.refused.insert(worker);
    }
    h.request("c1", "echo", {"x"});
    CHECK(h.broker.worker_count() == 0);
    CHECK(h.stats("echo").queued == 1);
    CHECK(h.stats("echo").in_flight == 0);
    h.ready("W4", "echo");
    CHECK(h.outbox.take() == to_worker_v01("W4", "c1", {"x"}));
}

// Removing one peer can remove another (a failed dispatch removes the worker it went to, a
// failed request forgets its client): the loops that remove several must not keep pointers.
TEST_CASE("workers expiring together while the requeued request cannot reach them", "[broker]") {
    harness_t h;
    for (int i = 0; i < 8; ++i) {
        const std::string worker = "W" + std::to_string(i);
        h.ready(worker, "echo");
        if (i > 0) h.outbox.refused.insert(worker); // only W0 takes the request
    }
    h.request("c1", "echo", {"x"});
    CHECK(h.outbox.take() == to_worker_v01("W0", "c1", {"x"}));
    h.advance(3000ms); // all eight expire in one tick; W0's request hits the refusing ones
    CHECK(h.broker.worker_count() == 0);
    CHECK(h.stats("echo").queued == 1);
    CHECK(h.stats("echo").workers == 0);
    h.ready("V", "echo");
    CHECK(h.outbox.take_all().back() == to_worker_v01("V", "c1", {"x"}));
}

TEST_CASE("a connection with a client and the worker holding its last retry closes", "[broker]") {
    auto config = test_config();
    config.max_retries = 0;
    harness_t h(config);
    const connection_t shared{10, 1000};
    h.ready("W", "echo", v01, shared);
    h.request("c1", "echo", {"x"}, v02, shared);
    h.request("c1", "echo", {"queued"}, v02, shared);
    h.close(shared); // W's request fails and forgets c1 while c1 is being closed
    CHECK(h.broker.worker_count() == 0);
    CHECK(h.broker.client_count() == 0);
    CHECK(h.broker.counters().failed == 1);
    CHECK(h.broker.counters().abandoned == 1);
}

TEST_CASE("a connection with two workers closes while one holds a request", "[broker]") {
    harness_t h;
    const connection_t shared{10, 1000};
    h.ready("W1", "echo", v01, shared);
    h.ready("W2", "echo", v01, shared);
    h.ready("W3", "echo", v01, {11, 1100});
    h.request("c1", "echo", {"x"});
    h.close(shared);
    CHECK(h.broker.worker_count() == 1);
    // The request may have been handed to W2 before W2 was removed: served by W3 in the end.
    CHECK(h.outbox.take_all().back() == to_worker_v01("W3", "c1", {"x"}));
    CHECK(h.stats("echo").in_flight == 1);
}

// ---------------------------------------------------------------------------------------
// Memory stays bounded

TEST_CASE("100k unknown service names: at most max_services kept, all forgotten after ttl",
          "[broker]") {
    auto config = test_config();
    config.max_services = 1000;
    config.request_timeout = 1000ms;
    config.service_ttl = 2000ms;
    harness_t h(config);
    std::size_t most = 0;
    for (int i = 0; i < 100000; ++i) {
        h.request("client-" + std::to_string(i % 64), "service-" + std::to_string(i), {"x"}, v02);
        most = std::max(most, h.broker.service_count());
        if (i % 10000 == 9999) h.broker.on_timer(h.now);
    }
    CHECK(most == 1000);
    CHECK(h.broker.counters().rejected == 99000);
    CHECK(h.broker.counters().requests == 100000);
    CHECK(h.broker.client_count() == 64);
    h.advance(1000ms);
    CHECK(h.broker.counters().expired == 1000);
    CHECK(h.broker.client_count() == 0);
    h.advance(2000ms);
    CHECK(h.broker.service_count() == 0);
    // Room again for new names.
    h.request("c", "fresh", {"x"});
    CHECK(h.knows("fresh"));
}

TEST_CASE("workers that come and go leave nothing behind", "[broker]") {
    harness_t h;
    for (int i = 0; i < 1000; ++i) {
        const std::string worker = "W" + std::to_string(i);
        const connection_t conn{100 + i % 7, std::uint64_t(5000 + i)};
        h.ready(worker, "svc-" + std::to_string(i % 10), v02, conn);
        h.request("c" + std::to_string(i), "svc-" + std::to_string(i % 10), {"x"}, v02, conn);
        h.close(conn);
    }
    CHECK(h.broker.worker_count() == 0);
    CHECK(h.broker.client_count() == 0);
    h.advance(5000ms);
    CHECK(h.broker.service_count() == 0);
}

// Bug (reported, not fixed here): ~broker_t deletes queued and in-flight requests while they
// are still linked in their client's list, then clears that list through the freed requests.
// Only a sanitizer build sees it, so this case, and every other one that ends with requests
// alive, aborts under ZD_SANITIZE until ~broker_t clears the client lists first.
TEST_CASE("destroying a broker that still holds requests frees them cleanly", "[broker]") {
    // Queued and in-flight requests, clients and workers all alive at destruction: a
    // sanitizer build (ZD_SANITIZE) checks that nothing is freed twice or touched after.
    recording_outbox_t outbox;
    {
        broker_t broker(test_config(), outbox);
        std::vector<zmq::message_t> frames;
        auto feed = [&](const frames_t& text) {
            frames.clear();
            for (const auto& frame : text)
                frames.emplace_back(frame.data(), frame.size());
            broker.on_message(frames, connection_t{}, t0);
        };
        feed({"W", "", "MDPW01", byte(0x01), "echo"});
        feed({"c1", "MDPC02", byte(0x01), "echo", "in flight"});
        feed({"c1", "MDPC02", byte(0x01), "echo", "queued"});
        feed({"c2", "", "MDPC01", "other", "queued too"});
        CHECK(broker.client_count() == 2);
    }
    SUCCEED("destroyed");
}

TEST_CASE("a nonsensical configuration is refused", "[broker]") {
    recording_outbox_t outbox;
    auto with = [](auto change) {
        auto config = test_config();
        change(config);
        return config;
    };
    CHECK_THROWS_AS(broker_t(with([](auto& c) { c.heartbeat_interval = 0ms; }), outbox),
                    std::invalid_argument);
    CHECK_THROWS_AS(broker_t(with([](auto& c) { c.heartbeat_liveness = 0; }), outbox),
                    std::invalid_argument);
    CHECK_THROWS_AS(broker_t(with([](auto& c) { c.request_timeout = 0ms; }), outbox),
                    std::invalid_argument);
    CHECK_THROWS_AS(broker_t(with([](auto& c) { c.max_retries = -1; }), outbox),
                    std::invalid_argument);
    CHECK_THROWS_AS(broker_t(with([](auto& c) { c.max_queue_bytes = 0; }), outbox),
                    std::invalid_argument);
    CHECK_THROWS_AS(
        broker_t(with([](auto& c) { c.max_queue_bytes = queued_request_bytes(1, 0) - 1; }), outbox),
        std::invalid_argument);
    CHECK_THROWS_AS(broker_t(with([](auto& c) { c.refusal_report_interval = 0ms; }), outbox),
                    std::invalid_argument);
    CHECK_NOTHROW(broker_t(with([](auto& c) { c.max_queue = 0; }), outbox)); // no count limit
    CHECK_THROWS_AS(broker_t(with([](auto& c) { c.max_services = 0; }), outbox),
                    std::invalid_argument);
}

TEST_CASE("stats_json is valid JSON with every counter and service", "[broker]") {
    harness_t h;
    h.ready("W", "echo");
    h.request("c1", "echo", {"x"});
    h.request("c2", "quoted \"name\"\n", {"x"});
    const auto json = zd::test::parse_json(h.broker.stats_json());
    for (const char* key :
         {"clients", "workers", "services_known", "requests", "replies", "partials",
          "dropped_partials", "unroutable_replies", "protocol_errors", "disconnects_sent",
          "rejected", "expired", "retried", "failed", "abandoned", "workers_expired"})
        CHECK(json.has(key));
    CHECK(json["requests"].as_uint64() == 2);
    const auto& services = json["services"];
    CHECK(services["echo"]["in_flight"].as_uint64() == 1);
    CHECK(services["quoted \"name\"\n"]["queued"].as_uint64() == 1);
    CHECK(services["quoted \"name\"\n"]["queued_bytes"].as_uint64() == queued_request_bytes(1, 1));
    for (const char* key : {"queued", "queued_bytes", "in_flight", "workers", "idle_workers",
                            "served", "expired", "retried", "failed", "rejected"})
        CHECK(services["echo"].has(key));
}
