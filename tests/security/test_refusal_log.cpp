// Refusal lines (lib/security/refusal_log.hpp) on a fake clock: one line per peer address per
// interval, the rest counted and reported once the interval is over, and a bounded number of
// addresses remembered however many attack.
#include "security/refusal_log.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using zd::security::refusal_log_t;

TEST_CASE("5000 refusals from one address make one line at once and one with the count",
          "[zap][log]") {
    refusal_log_t log(10s);
    const refusal_log_t::clock::time_point t0{};
    CHECK(log.refused("192.0.2.1", "unknown key K", t0) == "refused 192.0.2.1: unknown key K");
    int lines = 0;
    for (int i = 1; i < 5000; ++i)
        if (!log.refused("192.0.2.1", "unknown key K", t0 + i * 1ms).empty()) ++lines;
    CHECK(lines == 0);
    CHECK(log.flush(t0 + 9s).empty()); // the interval is not over
    const auto flushed = log.flush(t0 + 10s);
    REQUIRE(flushed.size() == 1);
    CHECK(flushed[0] == "refused 192.0.2.1 4999 more times (last: unknown key K)");
    CHECK(log.addresses() == 0); // forgotten: the next refusal is logged at once
    CHECK_FALSE(log.refused("192.0.2.1", "unknown key K", t0 + 11s).empty());
}

TEST_CASE("a refusal after the interval carries the count held back before it", "[zap][log]") {
    refusal_log_t log(1s);
    const refusal_log_t::clock::time_point t0{};
    REQUIRE_FALSE(log.refused("::1", "address denied", t0).empty());
    CHECK(log.refused("::1", "address denied", t0 + 500ms).empty());
    CHECK(log.refused("::1", "address denied", t0 + 999ms).empty());
    CHECK(log.refused("::1", "address denied", t0 + 1s) ==
          "refused ::1: address denied (and 2 more before it, not logged)");
    CHECK(log.refused("::1", "address denied", t0 + 1500ms).empty());
}

TEST_CASE("each address gets its own first line", "[zap][log]") {
    refusal_log_t log(1s);
    const refusal_log_t::clock::time_point t0{};
    CHECK_FALSE(log.refused("10.0.0.1", "why", t0).empty());
    CHECK_FALSE(log.refused("10.0.0.2", "why", t0).empty());
    CHECK_FALSE(log.refused("", "why", t0).empty());
    CHECK(log.refused("10.0.0.1", "why", t0).empty());
}

TEST_CASE("a quiet address leaves nothing to report", "[zap][log]") {
    refusal_log_t log(1s);
    const refusal_log_t::clock::time_point t0{};
    REQUIRE_FALSE(log.refused("10.0.0.1", "why", t0).empty());
    CHECK(log.flush(t0 + 2s).empty());
    CHECK(log.addresses() == 0);
}

TEST_CASE("addresses past the bound share one entry, so memory stays bounded", "[zap][log]") {
    refusal_log_t log(1s, 2);
    const refusal_log_t::clock::time_point t0{};
    int lines = 0;
    for (int i = 0; i < 1000; ++i)
        if (!log.refused("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256), "why",
                         t0)
                 .empty())
            ++lines;
    CHECK(lines == 3); // two addresses and "(other addresses)"
    CHECK(log.addresses() == 3);
    const auto flushed = log.flush(t0 + 1s);
    REQUIRE(flushed.size() == 1);
    CHECK(flushed[0] == "refused (other addresses) 997 more times (last: why)");
}
