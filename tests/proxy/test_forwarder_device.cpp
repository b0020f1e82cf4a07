// zd-forwarder end to end: publications flow down, subscriptions flow up (through two
// forwarders in a chain), topic filters hold, and --last-value-cache gives a late subscriber
// the current value of its topic at once.
//
//  publisher A --> @tcp --+                                                   +-- @tcp <--
//  subscriber 1
//                         [XSUB] forwarder 1 [XPUB] @tcp <-- >tcp [XSUB] forwarder 2 [XPUB]
//  publisher B --> @ipc --+                                                   +-- @ipc <--
//  subscriber 2
//
// The single-forwarder tests use the left half: publishers -> forwarder -> subscribers.
// The chain and the filters are checked with each engine: the native one (ZMTP spoken by
// the forwarder itself, the default) and libzmq's XSUB/XPUB sockets.
#include "device_harness.hpp"

#include <map>
#include <set>
#include <thread>

using namespace zd::test;

namespace {

zmq::socket_t subscriber(zmq::context_t& context, const std::string& address,
                         const std::vector<std::string>& topics) {
    return connect_socket(context, zmq::socket_type::sub, {address}, [&](zmq::socket_t& s) {
        for (const auto& topic : topics)
            s.set(zmq::sockopt::subscribe, topic);
    });
}

} // namespace

TEST_CASE("forwarder chain: subscriptions travel upstream, messages arrive in order",
          "[forwarder]") {
    const std::string engine = GENERATE(std::string("native"), std::string("libzmq"));
    INFO("engine " << engine);
    temp_dir_t dir;
    zmq::context_t context;
    device_t first(forwarder_path, {"-f", "@tcp://127.0.0.1:*,@" + dir.ipc("f1.ipc"), "-b",
                                    "@tcp://127.0.0.1:*", "--engine", engine});
    device_t second(forwarder_path,
                    {"-f", ">" + first.address("backend"), "-b",
                     "@tcp://127.0.0.1:*,@" + dir.ipc("b2.ipc"), "--engine", engine});
    REQUIRE(second.ready().sides.at("frontend").front().mode == zd::attach_mode::connect);

    auto publisher_a =
        connect_socket(context, zmq::socket_type::pub, {first.address("frontend", 0)});
    auto publisher_b =
        connect_socket(context, zmq::socket_type::pub, {first.address("frontend", 1)});
    auto subscriber_1 = subscriber(context, second.address("backend", 0), {""});
    auto subscriber_2 = subscriber(context, second.address("backend", 1), {""});

    // Each publisher learns of the subscriptions on its own; probe both.
    REQUIRE(wait_for_probe([&] { send_multipart(publisher_a, {"probe-a"}); },
                           {{&subscriber_1, "probe-a"}, {&subscriber_2, "probe-a"}}));
    REQUIRE(wait_for_probe([&] { send_multipart(publisher_b, {"probe-b"}); },
                           {{&subscriber_1, "probe-b"}, {&subscriber_2, "probe-b"}}));

    // Well below the marks: an XPUB drops at its mark by design (1000 per subscriber pipe),
    // and a burst of 2 x count can sit in one pipe before the I/O thread drains it.
    const int count = 200;
    for (int i = 0; i < count; ++i) {
        send_multipart(publisher_a, {"A", std::to_string(i)});
        send_multipart(publisher_b, {"B", std::to_string(i), "last"});
    }
    for (auto* sub : {&subscriber_1, &subscriber_2}) {
        std::map<std::string, int> next{{"A", 0}, {"B", 0}};
        for (int received = 0; received < 2 * count; ++received) {
            const auto message = recv_multipart(*sub);
            INFO("received " << received << " of " << 2 * count);
            REQUIRE(message);
            REQUIRE(next.count(message->front()) == 1);
            REQUIRE((*message)[1] == std::to_string(next[message->front()]++));
            REQUIRE(message->size() == (message->front() == "A" ? 2u : 3u));
        }
        CHECK_FALSE(readable_within(*sub, 100ms));
    }
    CHECK(second.stop() == 0);
    CHECK(first.stop() == 0);
}

TEST_CASE("forwarder passes each subscriber only the topics it asked for", "[forwarder]") {
    const std::string engine = GENERATE(std::string("native"), std::string("libzmq"));
    INFO("engine " << engine);
    temp_dir_t dir;
    zmq::context_t context;
    device_t forwarder(forwarder_path,
                       {"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*,@" + dir.ipc("b.ipc"),
                        "--engine", engine});
    auto publisher =
        connect_socket(context, zmq::socket_type::pub, {forwarder.address("frontend")});
    auto weather = subscriber(context, forwarder.address("backend", 0), {"weather."});
    auto news = subscriber(context, forwarder.address("backend", 1), {"news", "sport"});
    REQUIRE(wait_for_probe(
        [&] {
            send_multipart(publisher, {"weather.probe"});
            send_multipart(publisher, {"news.probe"});
            send_multipart(publisher, {"sport.probe"});
        },
        {{&weather, "weather.probe"}, {&news, "news.probe"}, {&news, "sport.probe"}}));

    const int count = 200;
    for (int i = 0; i < count; ++i) {
        send_multipart(publisher, {"weather.paris", std::to_string(i)});
        send_multipart(publisher, {"news", std::to_string(i)});
        send_multipart(publisher, {"traffic", std::to_string(i)}); // nobody's topic
        send_multipart(publisher, {"sport.tennis", std::to_string(i)});
        send_multipart(publisher, {"weathe", std::to_string(i)}); // shorter than the prefix
    }
    for (int i = 0; i < count; ++i)
        REQUIRE(recv_multipart(weather) == frames_t{"weather.paris", std::to_string(i)});
    CHECK_FALSE(readable_within(weather, 100ms));
    for (int i = 0; i < count; ++i) {
        REQUIRE(recv_multipart(news) == frames_t{"news", std::to_string(i)});
        REQUIRE(recv_multipart(news) == frames_t{"sport.tennis", std::to_string(i)});
    }
    CHECK_FALSE(readable_within(news, 100ms));
    CHECK(forwarder.stop() == 0);
}

namespace {

// A forwarder with --last-value-cache whose cache holds, in this order of publication:
//   [prices.apple, 1] [prices.apple, 2] [prices.pear, 7] [end]
// and a subscriber to everything that has seen them all.
struct cached_forwarder_t {
    zmq::context_t context;
    device_t forwarder{forwarder_path,
                       {"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*", "--control",
                        "@tcp://127.0.0.1:*", "--last-value-cache"}};
    zmq::socket_t publisher =
        connect_socket(context, zmq::socket_type::pub, {forwarder.address("frontend")});
    zmq::socket_t early = subscriber(context, forwarder.address("backend"), {""});

    cached_forwarder_t() {
        REQUIRE(wait_for_probe([&] { send_multipart(publisher, {"probe"}); }, {{&early, "probe"}}));
        const std::vector<frames_t> published = {
            {"prices.apple", "1"}, {"prices.apple", "2"}, {"prices.pear", "7"}, {"end"}};
        for (const auto& message : published)
            send_multipart(publisher, message);
        // Once the early subscriber has everything, the forwarder has cached it.
        for (const auto& message : published)
            REQUIRE(recv_multipart(early) == message);
    }
};

} // namespace

TEST_CASE("last-value cache: a late subscriber gets the latest value of its topic at once",
          "[forwarder][lvc]") {
    cached_forwarder_t fixture;
    auto& context = fixture.context;
    auto late = subscriber(context, fixture.forwarder.address("backend"), {"prices.apple"});
    CHECK(recv_multipart(late, 2s) == frames_t{"prices.apple", "2"});
    CHECK_FALSE(readable_within(late, 200ms));          // only the latest, once
    CHECK_FALSE(readable_within(fixture.early, 200ms)); // no duplicate for the others

    // Ordinary publishing goes on to everyone subscribed, once each.
    send_multipart(fixture.publisher, {"prices.apple", "3"});
    send_multipart(fixture.publisher, {"prices.pear", "8"});
    CHECK(recv_multipart(late) == frames_t{"prices.apple", "3"});
    CHECK(recv_multipart(fixture.early) == frames_t{"prices.apple", "3"});
    CHECK(recv_multipart(fixture.early) == frames_t{"prices.pear", "8"});
    CHECK_FALSE(readable_within(late, 100ms));
    CHECK_FALSE(readable_within(fixture.early, 100ms));
    CHECK(fixture.forwarder.stop() == 0);
}

TEST_CASE("last-value cache: a subscriber to a topic never published gets nothing",
          "[forwarder][lvc]") {
    cached_forwarder_t fixture;
    auto nothing = subscriber(fixture.context, fixture.forwarder.address("backend"), {"cars"});
    CHECK_FALSE(readable_within(nothing, 300ms));
    CHECK_FALSE(readable_within(fixture.early, 100ms));
    // Its subscription works for what comes later.
    REQUIRE(wait_for_probe([&] { send_multipart(fixture.publisher, {"cars.probe"}); },
                           {{&nothing, "cars.probe"}}));
    CHECK(fixture.forwarder.stop() == 0);
}

TEST_CASE("last-value cache: a prefix gets the most recent of the topics it matches",
          "[forwarder][lvc]") {
    cached_forwarder_t fixture;
    auto prefix = subscriber(fixture.context, fixture.forwarder.address("backend"), {"prices."});
    CHECK(recv_multipart(prefix, 2s) == frames_t{"prices.pear", "7"});
    CHECK_FALSE(readable_within(prefix, 200ms));
    CHECK(fixture.forwarder.stop() == 0);
}

// Known bug, found by this test: after it has sent one cached value, the forwarder leaves
// XPUB manual mode (writing 0 to ZMQ_XPUB_MANUAL_LAST_VALUE clears libzmq's manual flag too),
// so the next new subscription makes its ZMQ_SUBSCRIBE fail with EINVAL, the exception
// escapes the proxy loop and zd-forwarder exits 1 ("error: Invalid argument").
TEST_CASE("last-value cache: every late subscriber gets its value and the forwarder lives on",
          "[forwarder][lvc]") {
    cached_forwarder_t fixture;
    auto& context = fixture.context;
    auto first = subscriber(context, fixture.forwarder.address("backend"), {"prices.apple"});
    CHECK(recv_multipart(first, 2s) == frames_t{"prices.apple", "2"});
    auto second = subscriber(context, fixture.forwarder.address("backend"), {"prices.pear"});
    CHECK(recv_multipart(second, 1s) == frames_t{"prices.pear", "7"});
    INFO("forwarder stderr: " << fixture.forwarder.process().stderr_text());
    REQUIRE_FALSE(fixture.forwarder.process().wait_exit(0ms).has_value()); // still running
    auto third = subscriber(context, fixture.forwarder.address("backend"), {"prices."});
    CHECK(recv_multipart(third, 1s) == frames_t{"prices.pear", "7"});
    CHECK_FALSE(readable_within(first, 100ms));
    CHECK_FALSE(readable_within(fixture.early, 100ms));
    CHECK_NOTHROW(control_request(context, fixture.forwarder.address("control"), "STATS"));
    CHECK(fixture.forwarder.stop() == 0);
}

namespace {

// Receives subscription messages on an XPUB publisher until the one wanted arrives
// ("\x01weather" for a subscription, "\x00weather" for its end), ignoring the others.
bool publisher_sees(zmq::socket_t& publisher, const std::string& wanted,
                    milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline)
        if (auto message = recv_multipart(publisher, 100ms); message && message->front() == wanted)
            return true;
    return false;
}

// Waits until the forwarder's STATS counts count subscribed topics.
bool subscriptions_become(zmq::context_t& context, const device_t& forwarder, std::uint64_t count,
                          milliseconds timeout = 3s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (device_stats(context, forwarder)["subscriptions"]["count"].as_uint64() == count)
            return true;
        std::this_thread::sleep_for(10ms); // polling a counter: nothing to wait on
    }
    return false;
}

// Waits until the forwarder has read count messages from its publishers (STATISTICS).
bool forwarder_received(zmq::context_t& context, const device_t& forwarder, std::uint64_t count,
                        milliseconds timeout = 3s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (device_statistics(context, forwarder)[0] >= count) return true;
        std::this_thread::sleep_for(10ms); // polling a counter: nothing to wait on
    }
    return false;
}

} // namespace

// Issue 12: with no subscriber left, the cache subscribed upstream to nothing, so the
// publisher filtered the next update out and the next subscriber got the old value as if it
// were current. The publisher is an XPUB here so that the test sees the cache's subscription
// reach it; STATS says when the forwarder's last subscriber is gone (issue 13: a subscription
// the cache covers is no longer passed upstream, so the publisher never sees the subscriber's).
//
//   XPUB publisher --> @tcp [XSUB] zd-forwarder --last-value-cache [XPUB] @tcp <-- SUB first
//                                                                                <-- SUB next
TEST_CASE("last-value cache: an update published while nobody subscribes is the next "
          "subscriber's value",
          "[forwarder][lvc]") {
    zmq::context_t context;
    device_t forwarder(forwarder_path, {"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*",
                                        "--control", "@tcp://127.0.0.1:*", "--last-value-cache"});
    auto publisher =
        connect_socket(context, zmq::socket_type::xpub, {forwarder.address("frontend")});
    REQUIRE(publisher_sees(publisher, std::string("\1", 1))); // the cache's, at connect
    {
        auto first = subscriber(context, forwarder.address("backend"), {"weather"});
        REQUIRE(subscriptions_become(context, forwarder, 1));
        send_multipart(publisher, {"weather", "Paris 21C"});
        REQUIRE(recv_multipart(first) == frames_t{"weather", "Paris 21C"});
    } // the only subscriber goes
    REQUIRE(subscriptions_become(context, forwarder, 0));
    send_multipart(publisher, {"weather", "Paris 25C"});
    INFO("the forwarder must still receive updates with no subscriber connected");
    REQUIRE(forwarder_received(context, forwarder, 2));

    auto next = subscriber(context, forwarder.address("backend"), {"weather"});
    CHECK(recv_multipart(next, 2s) == frames_t{"weather", "Paris 25C"});
    CHECK_FALSE(readable_within(next, 200ms)); // the current value once, nothing stale
    CHECK(forwarder.stop() == 0);
}

// The cache's subscription to everything outlives a subscriber's to everything, that
// subscribes and leaves. (A raw peer that unsubscribes what it never subscribed:
// tests/native/test_forwarder_engines.cpp.)
//
//   XPUB publisher --> @tcp [XSUB] zd-forwarder --last-value-cache [XPUB] @tcp <-- SUB ""
TEST_CASE("last-value cache: a subscriber's unsubscription never ends the cache's subscription",
          "[forwarder][lvc]") {
    zmq::context_t context;
    device_t forwarder(forwarder_path, {"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*",
                                        "--control", "@tcp://127.0.0.1:*", "--last-value-cache"});
    auto publisher =
        connect_socket(context, zmq::socket_type::xpub, {forwarder.address("frontend")},
                       [](zmq::socket_t& s) { s.set(zmq::sockopt::xpub_verbose, 1); });
    REQUIRE(publisher_sees(publisher, std::string("\1", 1))); // the cache's, at connect
    auto everything = subscriber(context, forwarder.address("backend"), {""});
    REQUIRE(subscriptions_become(context, forwarder, 1));
    everything.set(zmq::sockopt::unsubscribe, "");
    REQUIRE(subscriptions_become(context, forwarder, 0));
    everything.close();
    // The cancellation is covered by the cache's prefix, so it never went upstream and the
    // cache's subscription stands: the next update reaches the forwarder.

    send_multipart(publisher, {"weather", "Paris 25C"});
    CHECK(forwarder_received(context, forwarder, 1));
    auto next = subscriber(context, forwarder.address("backend"), {"weather"});
    CHECK(recv_multipart(next, 2s) == frames_t{"weather", "Paris 25C"});
    CHECK(forwarder.stop() == 0);
}

// --lvc-topic narrows the cache to prefixes: the forwarder subscribes upstream to those only,
// and caches only topics under them (others pass only while someone subscribes to them, so a
// cached value of theirs could be stale).
TEST_CASE("last-value cache: --lvc-topic subscribes upstream to its prefixes and caches only "
          "those",
          "[forwarder][lvc]") {
    zmq::context_t context;
    device_t forwarder(forwarder_path,
                       {"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*",
                        "--last-value-cache", "--lvc-topic", "weather", "--lvc-topic", "sport"});
    auto publisher =
        connect_socket(context, zmq::socket_type::xpub, {forwarder.address("frontend")});
    std::set<std::string> cache_subscriptions;
    while (cache_subscriptions.size() < 2) {
        const auto message = recv_multipart(publisher, 5s);
        REQUIRE(message);
        cache_subscriptions.insert(message->front());
    }
    CHECK(cache_subscriptions == std::set<std::string>{"\1weather", "\1sport"});
    {
        auto reader = subscriber(context, forwarder.address("backend"), {"news", "weather"});
        REQUIRE(publisher_sees(publisher, std::string("\1news", 5)));
        send_multipart(publisher, {"news", "flash"});
        send_multipart(publisher, {"weather", "Paris 21C"});
        REQUIRE(recv_multipart(reader) == frames_t{"news", "flash"});
        REQUIRE(recv_multipart(reader) == frames_t{"weather", "Paris 21C"});
    }
    auto weather = subscriber(context, forwarder.address("backend"), {"weather"});
    CHECK(recv_multipart(weather, 2s) == frames_t{"weather", "Paris 21C"});
    auto news = subscriber(context, forwarder.address("backend"), {"news"});
    CHECK_FALSE(readable_within(news, 300ms)); // not cached
    CHECK(forwarder.stop() == 0);
}
