// The rate limit of "error" events (lib/base/error_rate.hpp), on a fake clock: up to the
// limit per window is published, the rest counted, and the count rides on the next published
// error (or the last event at stop), so that no error goes unaccounted.
#include "base/error_rate.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using zd::error_rate_t;

TEST_CASE("errors within the limit are published at once, with nothing suppressed", "[errors]") {
    error_rate_t rate(3, 1s);
    const error_rate_t::clock::time_point t0{};
    for (int i = 0; i < 3; ++i) {
        const auto verdict = rate.admit(t0 + std::chrono::milliseconds(i));
        CHECK(verdict.publish);
        CHECK(verdict.suppressed == 0);
    }
}

TEST_CASE("errors beyond the limit are counted and carried by the next published one", "[errors]") {
    error_rate_t rate(3, 1s);
    const error_rate_t::clock::time_point t0{};
    for (int i = 0; i < 3; ++i)
        REQUIRE(rate.admit(t0).publish);
    for (int i = 0; i < 5; ++i)
        CHECK_FALSE(rate.admit(t0 + 999ms).publish);
    const auto next = rate.admit(t0 + 1s); // a new window
    CHECK(next.publish);
    CHECK(next.suppressed == 5);
    CHECK(rate.admit(t0 + 1s).suppressed == 0); // carried once only
}

TEST_CASE("what no later error carried is taken at stop, once", "[errors]") {
    error_rate_t rate(1, 1s);
    const error_rate_t::clock::time_point t0{};
    REQUIRE(rate.admit(t0).publish);
    CHECK_FALSE(rate.admit(t0).publish);
    CHECK_FALSE(rate.admit(t0).publish);
    CHECK(rate.take_suppressed() == 2);
    CHECK(rate.take_suppressed() == 0);
}

TEST_CASE("published plus suppressed is every error, whatever the pace", "[errors]") {
    error_rate_t rate(10, 1s);
    error_rate_t::clock::time_point now{};
    std::uint64_t accounted = 0;
    const int errors = 5000;
    for (int i = 0; i < errors; ++i) {
        now += std::chrono::microseconds((i * 7919) % 3000); // bursts and pauses
        const auto verdict = rate.admit(now);
        if (verdict.publish) accounted += 1 + verdict.suppressed;
    }
    accounted += rate.take_suppressed();
    CHECK(accounted == errors);
}
