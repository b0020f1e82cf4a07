// The forwarder's last-value cache (lib/proxy/last_value_cache.hpp): the latest message per
// topic, found by subscription prefix, with the least recently updated topic evicted first.
#include "proxy/last_value_cache.hpp"

#include <catch2/catch.hpp>

namespace {

std::vector<zmq::message_t> message(std::initializer_list<std::string_view> frames) {
    std::vector<zmq::message_t> out;
    for (auto frame : frames)
        out.emplace_back(frame.data(), frame.size());
    return out;
}

// The frames of the latest message matching prefix, or {"<none>"}.
std::vector<std::string> latest(const zd::last_value_cache_t& cache, std::string_view prefix) {
    const auto* found = cache.latest_matching(prefix);
    if (!found) return {"<none>"};
    std::vector<std::string> frames;
    for (const auto& frame : *found)
        frames.push_back(frame.to_string());
    return frames;
}

void store(zd::last_value_cache_t& cache, std::initializer_list<std::string_view> frames) {
    auto m = message(frames);
    cache.store(m);
    CHECK(m.empty()); // the cache took the frames
}

using frames = std::vector<std::string>;

} // namespace

TEST_CASE("the latest message of each topic is kept, frames intact", "[lvc]") {
    zd::last_value_cache_t cache(10);
    CHECK(latest(cache, "a") == frames{"<none>"});
    store(cache, {"a", "1"});
    store(cache, {"b", "x", "y"});
    store(cache, {"a", "2"});
    CHECK(cache.size() == 2);
    CHECK(latest(cache, "a") == frames{"a", "2"});
    CHECK(latest(cache, "b") == frames{"b", "x", "y"});
    CHECK(latest(cache, "c") == frames{"<none>"});
}

TEST_CASE("a prefix finds the most recent message among the topics it matches", "[lvc]") {
    zd::last_value_cache_t cache(10);
    store(cache, {"weather.paris", "12"});
    store(cache, {"weather.oslo", "-3"});
    store(cache, {"news", "hello"});
    CHECK(latest(cache, "weather.") == frames{"weather.oslo", "-3"});
    store(cache, {"weather.paris", "13"});
    CHECK(latest(cache, "weather.") == frames{"weather.paris", "13"});
    CHECK(latest(cache, "weather.paris") == frames{"weather.paris", "13"});
    CHECK(latest(cache, "weather.parisx") == frames{"<none>"});
    // The empty subscription matches everything: the newest message of all.
    CHECK(latest(cache, "") == frames{"weather.paris", "13"});
}

TEST_CASE("a single-frame message is its own topic", "[lvc]") {
    zd::last_value_cache_t cache(10);
    store(cache, {"ticker:42"});
    store(cache, {"ticker:43"});
    CHECK(cache.size() == 2);
    CHECK(latest(cache, "ticker:") == frames{"ticker:43"});
    CHECK(latest(cache, "ticker:42") == frames{"ticker:42"});
}

TEST_CASE("at max_topics the least recently updated topic is evicted", "[lvc]") {
    zd::last_value_cache_t cache(3);
    store(cache, {"a", "1"});
    store(cache, {"b", "1"});
    store(cache, {"c", "1"});
    CHECK(cache.size() == 3);
    CHECK(cache.evicted() == 0);
    SECTION("without updates, the oldest goes") {
        store(cache, {"d", "1"});
        CHECK(cache.size() == 3);
        CHECK(cache.evicted() == 1);
        CHECK(latest(cache, "a") == frames{"<none>"});
        CHECK(latest(cache, "b") == frames{"b", "1"});
        CHECK(latest(cache, "d") == frames{"d", "1"});
    }
    SECTION("an update makes a topic the newest again") {
        store(cache, {"a", "2"});
        CHECK(cache.size() == 3);
        store(cache, {"d", "1"}); // evicts b, now the least recently updated
        CHECK(latest(cache, "a") == frames{"a", "2"});
        CHECK(latest(cache, "b") == frames{"<none>"});
        CHECK(latest(cache, "c") == frames{"c", "1"});
        store(cache, {"e", "1"}); // then c
        CHECK(cache.evicted() == 2);
        CHECK(latest(cache, "c") == frames{"<none>"});
        CHECK(latest(cache, "a") == frames{"a", "2"});
        CHECK(cache.size() == 3);
    }
}

TEST_CASE("a cache of one topic keeps only the latest topic", "[lvc]") {
    zd::last_value_cache_t cache(1);
    store(cache, {"a", "1"});
    store(cache, {"b", "1"});
    CHECK(cache.size() == 1);
    CHECK(latest(cache, "") == frames{"b", "1"});
    store(cache, {"b", "2"});
    CHECK(latest(cache, "b") == frames{"b", "2"});
}

TEST_CASE("empty messages and a zero-sized cache store nothing", "[lvc]") {
    zd::last_value_cache_t none(0);
    auto m = message({"a", "1"});
    none.store(m);
    CHECK(none.size() == 0);
    zd::last_value_cache_t cache(2);
    std::vector<zmq::message_t> empty;
    cache.store(empty);
    CHECK(cache.size() == 0);
}
