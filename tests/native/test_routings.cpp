// The native engine's routings (lib/native) in one process, with fake peers (native_harness.hpp):
// each promise of docs/ARCHITECTURE.md's "The native engine" as a case, without a loop, a
// port or a timer.
#include "base/json_writer.hpp"
#include "json_reader.hpp"
#include "native/forwarder.hpp"
#include "native/queue.hpp"
#include "native/streamer.hpp"
#include "native_harness.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace zd;
using namespace zd::test;

namespace {
std::string numbered(int i, std::size_t size = 0) {
    std::string text = std::to_string(i);
    if (text.size() < size) text.resize(size, '.');
    return text;
}
} // namespace

TEST_CASE("streamer: each producer's messages go round robin over the consumers, whole",
          "[native][streamer]") {
    native_harness_t<native_streamer_t> harness("PULL", "PUSH");
    auto& producer = harness.connect(harness.device().frontend(), "PUSH");
    auto& first = harness.connect(harness.device().backend(), "PULL");
    auto& second = harness.connect(harness.device().backend(), "PULL");
    for (int i = 0; i < 10; ++i)
        producer.send({numbered(i), "", "tail"});
    harness.settle();
    const auto to_first = harness.received(first);
    const auto to_second = harness.received(second);
    REQUIRE(to_first.size() == 5);
    REQUIRE(to_second.size() == 5);
    for (std::size_t i = 0; i < 5; ++i) {
        CHECK(to_first[i] == message_t{numbered(int(2 * i)), "", "tail"});
        CHECK(to_second[i] == message_t{numbered(int(2 * i + 1)), "", "tail"});
    }
    CHECK(harness.counters().frontend_to_backend.sent_messages == 10);
}

TEST_CASE("streamer: a producer is held while no consumer has room, and nothing is lost",
          "[native][streamer]") {
    native_harness_t<native_streamer_t> harness("PULL", "PUSH", 2);
    auto& producer = harness.connect(harness.device().frontend(), "PUSH");
    auto& consumer = harness.connect(harness.device().backend(), "PULL");
    consumer.reads = false; // its socket fills, then the device's queue for it
    constexpr int count = 40;
    for (int i = 0; i < count; ++i)
        producer.send({numbered(i, 100 * 1024)});
    harness.settle();
    CHECK(producer.device_end->held);
    CHECK(consumer.device_end->connection->queued_messages() <= 2);
    CHECK(harness.counters().frontend_to_backend.sent_messages < count);

    consumer.reads = true;
    std::vector<message_t> all;
    for (int round = 0; round < 100 && all.size() < count; ++round) {
        harness.settle();
        for (auto& message : harness.received(consumer))
            all.push_back(std::move(message));
    }
    REQUIRE(all.size() == count);
    for (int i = 0; i < count; ++i)
        CHECK(all[std::size_t(i)] == message_t{numbered(i, 100 * 1024)});
    CHECK_FALSE(producer.device_end->held);
    CHECK(harness.counters().frontend_to_backend.dropped_messages == 0);
}

TEST_CASE("queue: a request reaches a worker behind the client's routing id, and the reply "
          "finds the client",
          "[native][queue]") {
    native_harness_t<native_queue_t> harness("ROUTER", "DEALER");
    auto& named = harness.connect(harness.device().frontend(), "DEALER", "alice");
    auto& anonymous = harness.connect(harness.device().frontend(), "DEALER");
    auto& worker = harness.connect(harness.device().backend(), "DEALER");
    named.send({"", "hello"});
    anonymous.send({"", "hi"});
    harness.settle();
    const auto requests = harness.received(worker);
    REQUIRE(requests.size() == 2);
    CHECK(requests[0] == message_t{"alice", "", "hello"});
    // libzmq's ROUTER names a client without Identity with five bytes: 0, then a counter.
    const std::string generated = requests[1][0];
    REQUIRE(generated.size() == 5);
    CHECK(generated[0] == '\0');
    CHECK(message_t(requests[1].begin() + 1, requests[1].end()) == message_t{"", "hi"});

    worker.send({generated, "", "to anonymous"});
    worker.send({"alice", "", "to alice"});
    harness.settle();
    CHECK(harness.received(named) == std::vector<message_t>{{"", "to alice"}});
    CHECK(harness.received(anonymous) == std::vector<message_t>{{"", "to anonymous"}});
    CHECK(harness.counters().backend_to_frontend.dropped_messages == 0);
}

TEST_CASE("queue: a reply to a client that is gone is dropped and counted", "[native][queue]") {
    native_harness_t<native_queue_t> harness("ROUTER", "DEALER");
    auto& client = harness.connect(harness.device().frontend(), "DEALER", "bob");
    auto& worker = harness.connect(harness.device().backend(), "DEALER");
    client.send({"", "question"});
    harness.settle();
    REQUIRE(harness.received(worker).size() == 1);
    harness.disconnect(client);
    worker.send({"bob", "", "answer"});
    worker.send({"nobody", "", "answer"});
    harness.settle();
    CHECK(harness.counters().backend_to_frontend.dropped_messages == 2);
}

namespace {
json_value_t workers_json(const native_harness_t<native_queue_t>& harness) {
    json_writer_t json;
    json.begin_object();
    harness.routing().write_stats(json);
    json.end_object();
    return parse_json(json.str());
}
} // namespace

TEST_CASE("queue: STATS counts each worker's requests, replies and those in flight",
          "[native][queue]") {
    native_harness_t<native_queue_t> harness("ROUTER", "DEALER");
    auto& client = harness.connect(harness.device().frontend(), "DEALER", "carol");
    auto& busy = harness.connect(harness.device().backend(), "DEALER");
    auto& idle = harness.connect(harness.device().backend(), "DEALER");
    for (int i = 0; i < 4; ++i)
        client.send({"", "job"});
    harness.settle();
    const auto requests = harness.received(busy); // round robin: two each
    REQUIRE(requests.size() == 2);
    REQUIRE(harness.received(idle).size() == 2);
    busy.send({"carol", "", "done"});
    busy.send({"carol", "", "done"});
    busy.send({"carol", "", "unasked"}); // a DEALER may say more than it was asked
    idle.send({"carol", "", "done"});
    harness.settle();
    const auto stats = workers_json(harness);
    CHECK(stats["workers_known"].boolean);
    CHECK(stats["workers_not_listed"].as_uint64() == 0);
    REQUIRE(stats["workers"].items.size() == 2);
    const auto& first = stats["workers"].items[0];
    CHECK(first["sent"].as_uint64() == 2);
    CHECK(first["replied"].as_uint64() == 3);
    CHECK(first["in_flight"].as_uint64() == 0); // never below zero
    const auto& second = stats["workers"].items[1];
    CHECK(second["sent"].as_uint64() == 2);
    CHECK(second["replied"].as_uint64() == 1);
    CHECK(second["in_flight"].as_uint64() == 1);
}

TEST_CASE("queue: STATS lists at most 100 workers and counts the rest", "[native][queue]") {
    native_harness_t<native_queue_t> harness("ROUTER", "DEALER");
    for (std::size_t i = 0; i < native_queue_t::max_listed_workers + 3; ++i)
        harness.connect(harness.device().backend(), "DEALER");
    const auto stats = workers_json(harness);
    CHECK(stats["workers"].items.size() == native_queue_t::max_listed_workers);
    CHECK(stats["workers_not_listed"].as_uint64() == 3);
}

TEST_CASE("queue: a second client with an Identity in use is refused", "[native][queue]") {
    native_harness_t<native_queue_t> harness("ROUTER", "DEALER");
    auto& first = harness.connect(harness.device().frontend(), "DEALER", "same");
    auto& second = harness.connect(harness.device().frontend(), "DEALER", "same");
    CHECK(first.device_end != nullptr);
    CHECK(second.device_end == nullptr); // dropped by the routing, removed by the loop
    // As libzmq's ROUTER does, the impostor's handshake completes before it is closed: it
    // sees a refused session, not a broken handshake (which it got whenever its greeting and
    // READY arrived in one read).
    CHECK(second.connection->ready());
    auto& worker = harness.connect(harness.device().backend(), "DEALER");
    worker.send({"same", "", "only the first"});
    harness.settle();
    CHECK(harness.received(first) == std::vector<message_t>{{"", "only the first"}});
}

TEST_CASE("forwarder: a topic goes upstream once, and publications reach the subscribers whose "
          "topic is their prefix",
          "[native][forwarder]") {
    native_harness_t<native_forwarder_t> harness("XSUB", "XPUB");
    auto& publisher = harness.connect(harness.device().frontend(), "PUB");
    auto& weather = harness.connect(harness.device().backend(), "SUB");
    auto& also_weather = harness.connect(harness.device().backend(), "SUB");
    auto& news = harness.connect(harness.device().backend(), "SUB");
    std::vector<std::string> upstream;
    publisher.connection->set_command_handler([&](std::string_view name, std::string_view data) {
        upstream.push_back(std::string(name) + " " + std::string(data));
    });
    weather.command("SUBSCRIBE", "weather");
    also_weather.command("SUBSCRIBE", "weather");
    news.command("SUBSCRIBE", "news");
    harness.settle();
    CHECK(harness.received(publisher).empty()); // commands only, handled above
    std::sort(upstream.begin(), upstream.end());
    CHECK(upstream == std::vector<std::string>{"SUBSCRIBE news", "SUBSCRIBE weather"});

    publisher.send({"weather|Paris 21C"});
    publisher.send({"sport|nothing"});
    harness.settle();
    CHECK(harness.received(weather) == std::vector<message_t>{{"weather|Paris 21C"}});
    CHECK(harness.received(also_weather) == std::vector<message_t>{{"weather|Paris 21C"}});
    CHECK(harness.received(news).empty());

    // The last cancellation of a topic goes upstream, the first does not.
    upstream.clear();
    weather.command("CANCEL", "weather");
    harness.settle();
    (void)harness.received(publisher);
    CHECK(upstream.empty());
    also_weather.command("CANCEL", "weather");
    harness.settle();
    (void)harness.received(publisher);
    CHECK(upstream == std::vector<std::string>{"CANCEL weather"});
}

TEST_CASE("forwarder: a subscriber at its mark misses publications, counted; the publisher is "
          "not slowed",
          "[native][forwarder]") {
    native_harness_t<native_forwarder_t> harness("XSUB", "XPUB", 5);
    auto& publisher = harness.connect(harness.device().frontend(), "PUB");
    auto& slow = harness.connect(harness.device().backend(), "SUB");
    auto& fast = harness.connect(harness.device().backend(), "SUB");
    slow.command("SUBSCRIBE", "");
    fast.command("SUBSCRIBE", "");
    harness.settle();
    slow.reads = false;
    constexpr int count = 40;
    for (int i = 0; i < count; ++i)
        publisher.send({numbered(i, 100 * 1024)});
    std::size_t fast_got = 0;
    for (int round = 0; round < 100 && fast_got < count; ++round) {
        harness.settle();
        fast_got += harness.received(fast).size();
    }
    CHECK(fast_got == count);
    CHECK_FALSE(publisher.device_end->held);
    const auto dropped = harness.counters().frontend_to_backend.dropped_messages;
    CHECK(dropped > 0);
    slow.reads = true;
    std::size_t slow_got = 0;
    for (int round = 0; round < 100; ++round) {
        harness.settle();
        const auto got = harness.received(slow).size();
        if (got == 0) break;
        slow_got += got;
    }
    CHECK(slow_got + dropped == count); // every publication either arrived or was counted
}

// Issue 13: chained forwarders dropped at each next hop's mark. With --no-drop
// (holds_publishers) a subscriber at its mark holds the publishers instead: nothing is
// dropped, and everything arrives in order once it reads again.
TEST_CASE("forwarder: holding publishers, a subscriber at its mark holds them, and nothing is "
          "dropped",
          "[native][forwarder]") {
    native_harness_t<native_forwarder_t> harness("XSUB", "XPUB", 5, nullptr, nullptr, true);
    auto& publisher = harness.connect(harness.device().frontend(), "PUB");
    auto& slow = harness.connect(harness.device().backend(), "SUB");
    auto& fast = harness.connect(harness.device().backend(), "SUB");
    slow.command("SUBSCRIBE", "");
    fast.command("SUBSCRIBE", "");
    harness.settle();
    slow.reads = false;
    constexpr int count = 40;
    for (int i = 0; i < count; ++i)
        publisher.send({numbered(i, 100 * 1024)});
    for (int round = 0; round < 20; ++round)
        harness.settle();
    CHECK(publisher.device_end->held);
    CHECK(slow.device_end->connection->queued_messages() <= 5);
    CHECK(harness.counters().frontend_to_backend.received_messages < count);

    slow.reads = true;
    std::vector<message_t> to_slow, to_fast;
    for (int round = 0; round < 200 && (to_slow.size() < count || to_fast.size() < count);
         ++round) {
        harness.settle();
        for (auto& message : harness.received(slow))
            to_slow.push_back(std::move(message));
        for (auto& message : harness.received(fast))
            to_fast.push_back(std::move(message));
    }
    REQUIRE(to_slow.size() == count);
    REQUIRE(to_fast.size() == count);
    for (int i = 0; i < count; ++i) {
        CHECK(to_slow[std::size_t(i)] == message_t{numbered(i, 100 * 1024)});
        CHECK(to_fast[std::size_t(i)] == message_t{numbered(i, 100 * 1024)});
    }
    CHECK(harness.counters().frontend_to_backend.dropped_messages == 0);
    CHECK_FALSE(publisher.device_end->held);
}

// Issue 13: loop probes (base/loop_probe.hpp). A forwarder subscribes each publisher to its
// own probe; another forwarder's probe from downstream passes upstream once, like a topic,
// but is not a topic publications match; its own probe coming back is a cycle.
TEST_CASE("forwarder: loop probes go upstream, never match publications, and our own one back "
          "is a cycle",
          "[native][forwarder][loop]") {
    const zd::loop_probe_t mine, downstream_forwarder;
    zd::subscription_table_t subscriptions;
    native_harness_t<native_forwarder_t> harness("XSUB", "XPUB", 1000, &subscriptions, &mine);
    auto& publisher = harness.connect(harness.device().frontend(), "PUB");
    std::vector<std::string> upstream;
    publisher.connection->set_command_handler([&](std::string_view name, std::string_view data) {
        upstream.push_back(std::string(name) + " " + std::string(data));
    });
    harness.settle();
    (void)harness.received(publisher);
    CHECK(upstream == std::vector<std::string>{"SUBSCRIBE " + mine.topic()});

    auto& child = harness.connect(harness.device().backend(), "XSUB");
    upstream.clear();
    child.command("SUBSCRIBE", downstream_forwarder.topic());
    child.command("SUBSCRIBE", "");
    harness.settle();
    (void)harness.received(publisher);
    CHECK(upstream ==
          std::vector<std::string>{"SUBSCRIBE " + downstream_forwarder.topic(), "SUBSCRIBE "});
    CHECK(subscriptions.count() == 1); // "" only: a probe is not a subscriber's topic

    // The child subscribed to everything and gets everything, once: its probe is not one more
    // topic to match.
    publisher.send({"news"});
    harness.settle();
    CHECK(harness.received(child) == std::vector<message_t>{{"news"}});

    // Its cancellation goes upstream like a topic's last one.
    upstream.clear();
    child.command("CANCEL", downstream_forwarder.topic());
    harness.settle();
    (void)harness.received(publisher);
    CHECK(upstream == std::vector<std::string>{"CANCEL " + downstream_forwarder.topic()});

    child.command("SUBSCRIBE", mine.topic());
    CHECK_THROWS_AS(harness.settle(), zd::subscription_loop_error);
}

// Issue 13: with --hold-replies a reply for a client at its mark waits, and its worker with
// it, instead of being dropped: a chain of queues (whose clients are queues) loses nothing.
TEST_CASE("queue: with hold_replies a client at its mark holds its worker, and every reply "
          "arrives in order",
          "[native][queue]") {
    native_harness_t<native_queue_t> harness("ROUTER", "DEALER", 5, true);
    auto& client = harness.connect(harness.device().frontend(), "DEALER", "upstream-queue");
    auto& worker = harness.connect(harness.device().backend(), "DEALER");
    client.reads = false;
    constexpr int count = 40;
    for (int i = 0; i < count; ++i)
        worker.send({"upstream-queue", "", numbered(i, 100 * 1024)});
    for (int round = 0; round < 20; ++round)
        harness.settle();
    CHECK(harness.counters().backend_to_frontend.dropped_messages == 0);
    CHECK(worker.device_end->held);

    client.reads = true;
    std::vector<message_t> replies;
    for (int round = 0; round < 200 && replies.size() < count; ++round) {
        harness.settle();
        for (auto& reply : harness.received(client))
            replies.push_back(std::move(reply));
    }
    REQUIRE(replies.size() == count);
    for (int i = 0; i < count; ++i)
        CHECK(replies[std::size_t(i)][1] == numbered(i, 100 * 1024));
    CHECK(harness.counters().backend_to_frontend.dropped_messages == 0);
    CHECK_FALSE(worker.device_end->held);
}
