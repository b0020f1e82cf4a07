// A forwarder's subscriptions (lib/base/subscription_table.hpp): distinct topics from the
// subscription messages an XPUB hands upstream, non-verbose (first subscribe, last cancel)
// or manual (every one), and the bounded, escaped list SUBSCRIPTIONS answers.
#include "base/json_writer.hpp"
#include "base/loop_probe.hpp"
#include "base/subscription_table.hpp"
#include "json_reader.hpp"

#include <catch2/catch.hpp>

using namespace zd::test;
using namespace std::string_literals;

namespace {
std::string subscribe(std::string_view topic) {
    return "\1"s + std::string(topic);
}
std::string cancel(std::string_view topic) {
    return "\0"s + std::string(topic);
}
} // namespace

TEST_CASE("a topic counts from its first subscription to its last cancellation",
          "[subscriptions]") {
    zd::subscription_table_t table;
    table.observe(subscribe("news"));
    table.observe(subscribe("weather"));
    table.observe(subscribe("news")); // manual mode: a second subscriber to news
    CHECK(table.count() == 2);
    table.observe(cancel("news"));
    CHECK(table.count() == 2);
    table.observe(cancel("news"));
    CHECK(table.count() == 1);
    table.observe(cancel("never subscribed"));
    table.observe(cancel("news")); // one more than there were: ignored
    CHECK(table.count() == 1);
}

TEST_CASE("messages that are not subscriptions are ignored", "[subscriptions]") {
    zd::subscription_table_t table;
    table.observe("");
    table.observe("\2news");
    table.observe("hello");
    CHECK(table.count() == 0);
    table.observe(subscribe("")); // the empty topic: everything
    CHECK(table.count() == 1);
}

TEST_CASE("STATS shows the count; SUBSCRIPTIONS lists the topics, escaped and bounded",
          "[subscriptions]") {
    zd::subscription_table_t table;
    table.subscribed("b\xff\x01");
    table.subscribed("a\"quote");
    table.subscribed("c");
    zd::json_writer_t json;
    json.begin_object();
    table.write_json(json);
    json.end_object();
    const auto stats = parse_json(json.str());
    CHECK(stats["subscriptions"].keys() == std::vector<std::string>{"count"});
    CHECK(stats["subscriptions"]["count"].as_uint64() == 3);

    const auto all = parse_json(table.list_json());
    CHECK(all.keys() == std::vector<std::string>{"count", "topics", "topics_not_listed"});
    REQUIRE(all["topics"].items.size() == 3);
    CHECK(all["topics"].items[0].text == "a\"quote");
    CHECK(all["topics"].items[1].text == "b\u00ff\x01"); // \u00XX for a byte that is not UTF-8
    CHECK(all["topics"].items[2].text == "c");
    CHECK(all["topics_not_listed"].as_uint64() == 0);

    const auto two = parse_json(table.list_json(2));
    CHECK(two["count"].as_uint64() == 3);
    CHECK(two["topics"].items.size() == 2);
    CHECK(two["topics_not_listed"].as_uint64() == 1);
}

// Issue 13: forwarders subscribe upstream to loop probes (base/loop_probe.hpp); they are not
// subscribers' topics and must not show in STATS or SUBSCRIPTIONS.
TEST_CASE("forwarders' loop probes are not counted or listed", "[subscriptions][loop]") {
    zd::subscription_table_t table;
    const zd::loop_probe_t probe;
    table.observe(subscribe(probe.topic()));
    table.subscribed(probe.topic());
    table.observe(subscribe("news"));
    CHECK(table.count() == 1);
    CHECK(table.list_json() == R"({"count":1,"topics":["news"],"topics_not_listed":0})");
    table.observe(cancel(probe.topic()));
    table.unsubscribed(probe.topic());
    CHECK(table.count() == 1);
}

TEST_CASE("at max_topics a new topic is refused and counted; held topics and probes are not",
          "[base][subscriptions]") {
    zd::subscription_table_t table(2);
    CHECK(table.admit("a"));
    table.subscribed("a");
    CHECK(table.admit("b"));
    table.subscribed("b");
    CHECK_FALSE(table.admit("c"));
    CHECK_FALSE(table.admit("d"));
    CHECK(table.admit("a")); // held already: a second subscriber costs no topic
    CHECK(table.admit(zd::loop_probe_t().topic()));
    CHECK(table.refused() == 2);
    table.unsubscribed("b");
    CHECK(table.admit("c")); // room again
    zd::json_writer_t json;
    json.begin_object();
    table.write_json(json);
    json.end_object();
    CHECK(json.str() == R"({"subscriptions":{"count":1,"refused":2,"max":2}})");
}
