// broker_t with worker_credit above 1 (zd-broker --worker-credit N): a worker holds up to N
// requests at once, pipelined into its socket, and answers them in order. What must still
// hold: round-robin across workers with credit, replies routed to the right client, every
// held request requeued in its order when the worker dies, and nothing more than N at once.
#include "broker_harness.hpp"

using namespace zd::mdp;
using namespace zd::mdp::test;

namespace {
constexpr auto v02 = version::v02;

broker_config_t credit_config(std::size_t credit) {
    broker_config_t config = test_config();
    config.worker_credit = credit;
    return config;
}
} // namespace

TEST_CASE("credit 3: a worker holds three requests, the fourth waits", "[broker][credit]") {
    harness_t h(credit_config(3));
    h.ready("W", "echo", v02);
    for (int i = 1; i <= 4; ++i)
        h.request("c" + std::to_string(i), "echo", {std::to_string(i)}, v02);
    CHECK(h.outbox.take() == to_worker_v02("W", "c1", {"1"}));
    CHECK(h.outbox.take() == to_worker_v02("W", "c2", {"2"}));
    CHECK(h.outbox.take() == to_worker_v02("W", "c3", {"3"}));
    CHECK(h.outbox.sent.empty());
    CHECK(h.stats("echo").in_flight == 3);
    CHECK(h.stats("echo").queued == 1);
    CHECK(h.stats("echo").idle_workers == 0); // no credit left

    h.reply("W", "c1", {"R1"}, v02);
    CHECK(h.outbox.take() == to_client_v02("c1", 0x03, "echo", {"R1"}));
    CHECK(h.outbox.take() == to_worker_v02("W", "c4", {"4"})); // credit came back
    CHECK(h.stats("echo").in_flight == 3);
    CHECK(h.stats("echo").queued == 0);
}

TEST_CASE("credit 2: requests go round-robin across workers with credit", "[broker][credit]") {
    harness_t h(credit_config(2));
    h.ready("A", "echo", v02);
    h.ready("B", "echo", v02);
    for (int i = 1; i <= 5; ++i)
        h.request("c", "echo", {std::to_string(i)}, v02);
    CHECK(h.outbox.take() == to_worker_v02("A", "c", {"1"}));
    CHECK(h.outbox.take() == to_worker_v02("B", "c", {"2"}));
    CHECK(h.outbox.take() == to_worker_v02("A", "c", {"3"}));
    CHECK(h.outbox.take() == to_worker_v02("B", "c", {"4"}));
    CHECK(h.outbox.sent.empty());
    CHECK(h.stats("echo").queued == 1);
}

TEST_CASE("credit: one client's replies finish its requests at that worker in order",
          "[broker][credit]") {
    harness_t h(credit_config(4));
    h.ready("W", "echo", v02);
    h.request("c", "echo", {"first"}, v02);
    h.request("d", "echo", {"other"}, v02);
    h.request("c", "echo", {"second"}, v02);
    CHECK(h.outbox.take_all().size() == 3);

    // A worker that answers d before c (it may; replies name their client).
    h.reply("W", "d", {"for d"}, v02);
    h.reply("W", "c", {"for c 1"}, v02);
    h.reply("W", "c", {"for c 2"}, v02);
    CHECK(h.outbox.take() == to_client_v02("d", 0x03, "echo", {"for d"}));
    CHECK(h.outbox.take() == to_client_v02("c", 0x03, "echo", {"for c 1"}));
    CHECK(h.outbox.take() == to_client_v02("c", 0x03, "echo", {"for c 2"}));
    CHECK(h.stats("echo").in_flight == 0);
    CHECK(h.stats("echo").served == 3);
    CHECK(h.broker.client_count() == 0);

    // A fourth reply has no request left: the worker is broken.
    h.reply("W", "c", {"extra"}, v02);
    CHECK(h.broker.counters().disconnects_sent == 1);
    CHECK(h.broker.worker_count() == 0);
}

TEST_CASE("credit: a reply for a client the worker holds nothing for is a broken worker",
          "[broker][credit]") {
    harness_t h(credit_config(4));
    h.ready("W", "echo", v02);
    h.request("c1", "echo", {"x"}, v02);
    h.request("c2", "echo", {"y"}, v02);
    h.outbox.take_all();
    h.reply("W", "stranger", {"?"}, v02);
    CHECK(h.broker.counters().protocol_errors == 1);
    CHECK(h.broker.worker_count() == 0);
    CHECK(h.stats("echo").queued == 2); // both went back to the queue
    CHECK(h.stats("echo").retried == 2);
}

TEST_CASE("credit: PARTIALs stream to the client of the request being answered",
          "[broker][credit]") {
    harness_t h(credit_config(2));
    h.ready("W", "echo", v02);
    h.request("c1", "echo", {"a"}, v02);
    h.request("c2", "echo", {"b"}, v02);
    h.outbox.take_all();
    h.partial("W", "c1", {"part"});
    h.reply("W", "c1", {"done"}, v02);
    h.partial("W", "c2", {"part 2"});
    CHECK(h.outbox.take() == to_client_v02("c1", 0x02, "echo", {"part"}));
    CHECK(h.outbox.take() == to_client_v02("c1", 0x03, "echo", {"done"}));
    CHECK(h.outbox.take() == to_client_v02("c2", 0x02, "echo", {"part 2"}));
    CHECK(h.stats("echo").in_flight == 1);
}

TEST_CASE("credit: a dead worker's requests all go back, oldest first, ahead of the queue",
          "[broker][credit]") {
    harness_t h(credit_config(3));
    h.ready("W1", "echo", v02);
    for (int i = 1; i <= 5; ++i)
        h.request("c", "echo", {std::to_string(i)}, v02);
    CHECK(h.outbox.take_all().size() == 3); // 1, 2, 3 at W1; 4, 5 queued
    h.worker_disconnect("W1", v02);
    CHECK(h.broker.counters().retried == 3);
    CHECK(h.stats("echo").queued == 5);
    CHECK(h.stats("echo").in_flight == 0);

    h.ready("W2", "echo", v02);
    CHECK(h.outbox.take() == to_worker_v02("W2", "c", {"1"}));
    CHECK(h.outbox.take() == to_worker_v02("W2", "c", {"2"}));
    CHECK(h.outbox.take() == to_worker_v02("W2", "c", {"3"}));
    CHECK(h.outbox.sent.empty());
    for (int i = 1; i <= 5; ++i)
        h.reply("W2", "c", {"R" + std::to_string(i)}, v02);
    auto all = h.outbox.take_all();
    std::vector<frames_t> replies;
    for (auto& message : all)
        if (message[1] == "MDPC02") replies.push_back(message);
    REQUIRE(replies.size() == 5);
    CHECK(h.stats("echo").served == 5);
    CHECK(h.broker.client_count() == 0);
}

TEST_CASE("credit: a busy worker that expires gives back everything it held", "[broker][credit]") {
    harness_t h(credit_config(2));
    h.ready("W1", "echo", v02);
    h.ready("W2", "echo", v02);
    for (int i = 1; i <= 4; ++i)
        h.request("c", "echo", {std::to_string(i)}, v02);
    h.outbox.take_all(); // W1: 1, 3; W2: 2, 4
    h.advance(2000ms);
    h.heartbeat("W2", v02);
    h.advance(1000ms); // W1 silent for 3 intervals
    CHECK(h.broker.counters().workers_expired == 1);
    CHECK(h.stats("echo").queued == 2);
    h.outbox.take_all();
    h.reply("W2", "c", {"R2"}, v02);
    CHECK(h.outbox.take() == to_client_v02("c", 0x03, "echo", {"R2"}));
    CHECK(h.outbox.take() == to_worker_v02("W2", "c", {"1"})); // the oldest requeued first
}

TEST_CASE("credit: a worker the router refuses keeps nothing, the request is no retry",
          "[broker][credit]") {
    harness_t h(credit_config(4));
    h.ready("W", "echo", v02);
    h.request("c", "echo", {"1"}, v02);
    h.outbox.take_all();
    h.outbox.refused.insert("W");
    h.request("c", "echo", {"2"}, v02);
    CHECK(h.broker.worker_count() == 0);
    CHECK(h.stats("echo").queued == 2);
    CHECK(h.stats("echo").in_flight == 0);
    CHECK(h.broker.counters().retried == 1); // only the one it had received
}

TEST_CASE("credit and frame limits outside their range are refused", "[broker][credit]") {
    recording_outbox_t outbox;
    auto config = test_config();
    config.worker_credit = 0;
    CHECK_THROWS_AS(broker_t(config, outbox), std::invalid_argument);
    config.worker_credit = max_worker_credit + 1;
    CHECK_THROWS_AS(broker_t(config, outbox), std::invalid_argument);
    config.worker_credit = max_worker_credit;
    CHECK_NOTHROW(broker_t(config, outbox));
    config.max_frames = 7;
    CHECK_THROWS_AS(broker_t(config, outbox), std::invalid_argument);
}

TEST_CASE("a message dropped as too long: counted; a worker that sent it is removed", "[broker]") {
    harness_t h;
    h.ready("W", "echo");
    h.request("c", "echo", {"x"});
    h.outbox.take_all();
    h.broker.on_invalid_message("someone", h.now);
    CHECK(h.broker.counters().protocol_errors == 1);
    CHECK(h.outbox.sent.empty());
    h.broker.on_invalid_message("W", h.now);
    CHECK(h.broker.counters().protocol_errors == 2);
    CHECK(h.outbox.take() == disconnect_v01("W"));
    CHECK(h.broker.worker_count() == 0);
    CHECK(h.stats("echo").queued == 1); // its request waits for another worker
}
