// The rate limit of "dropped" events (lib/base/drop_reporter.hpp), on a fake clock: the first
// drops of a side are reported at once, later ones at most once per interval per side,
// accumulated in between and never lost, and flush() reports the rest.
#include "base/drop_reporter.hpp"

#include <array>
#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using report_t = zd::drop_reporter_t::report_t;

namespace {

constexpr std::size_t frontend = 0, backend = 1;

struct fake_clock_t {
    zd::drop_reporter_t::clock::time_point now{}; // any fixed start: only differences count
    void advance(std::chrono::milliseconds by) { now += by; }
};

bool same(const std::vector<report_t>& got, const std::vector<report_t>& expected) {
    if (got.size() != expected.size()) return false;
    for (std::size_t i = 0; i < got.size(); ++i)
        if (got[i].side != expected[i].side || got[i].dropped != expected[i].dropped ||
            got[i].total != expected[i].total)
            return false;
    return true;
}

} // namespace

TEST_CASE("a side's first drops are reported at once", "[drops]") {
    zd::drop_reporter_t reporter(2);
    fake_clock_t clock;
    CHECK(reporter.update(std::array<std::uint64_t, 2>{0, 0}, clock.now).empty());
    CHECK(reporter.next_due() == zd::drop_reporter_t::clock::time_point::max());
    CHECK(same(reporter.update(std::array<std::uint64_t, 2>{3, 0}, clock.now), {{frontend, 3, 3}}));
    CHECK(reporter.next_due() == zd::drop_reporter_t::clock::time_point::max());
}

TEST_CASE("drops within the interval wait and are reported together, none lost", "[drops]") {
    zd::drop_reporter_t reporter(2, 1s);
    fake_clock_t clock;
    CHECK(reporter.update(std::array<std::uint64_t, 2>{1, 0}, clock.now).size() == 1);
    clock.advance(100ms);
    CHECK(reporter.update(std::array<std::uint64_t, 2>{5, 0}, clock.now).empty());
    CHECK(reporter.next_due() == clock.now + 900ms);
    clock.advance(899ms);
    CHECK(reporter.update(std::array<std::uint64_t, 2>{17, 0}, clock.now).empty());
    clock.advance(1ms);
    CHECK(same(reporter.update(std::array<std::uint64_t, 2>{17, 0}, clock.now),
               {{frontend, 16, 17}}));
    CHECK(reporter.next_due() == zd::drop_reporter_t::clock::time_point::max());
}

TEST_CASE("each side has its own interval", "[drops]") {
    zd::drop_reporter_t reporter(2, 1s);
    fake_clock_t clock;
    CHECK(reporter.update(std::array<std::uint64_t, 2>{1, 0}, clock.now).size() == 1);
    clock.advance(500ms);
    // The backend's first drops are not held back by the frontend's report.
    CHECK(same(reporter.update(std::array<std::uint64_t, 2>{2, 4}, clock.now), {{backend, 4, 4}}));
    clock.advance(500ms);
    CHECK(same(reporter.update(std::array<std::uint64_t, 2>{2, 9}, clock.now), {{frontend, 1, 2}}));
    clock.advance(500ms);
    CHECK(same(reporter.update(std::array<std::uint64_t, 2>{2, 9}, clock.now), {{backend, 5, 9}}));
}

TEST_CASE("a burst of a million drops in one second is one report after the first", "[drops]") {
    zd::drop_reporter_t reporter(1, 1s);
    fake_clock_t clock;
    std::size_t reports = 0;
    std::uint64_t reported = 0;
    for (std::uint64_t total = 1; total <= 1'000'000; ++total) {
        if (total % 1000 == 0) clock.advance(1ms);
        for (const auto& report : reporter.update(std::array<std::uint64_t, 1>{total}, clock.now)) {
            ++reports;
            reported += report.dropped;
            CHECK(report.total == reported);
        }
    }
    CHECK(reports == 2); // at 0 ms and at 1000 ms
    for (const auto& report : reporter.flush())
        reported += report.dropped;
    CHECK(reported == 1'000'000);
}

TEST_CASE("flush reports what is left, once", "[drops]") {
    zd::drop_reporter_t reporter(2, 1s);
    fake_clock_t clock;
    CHECK(reporter.update(std::array<std::uint64_t, 2>{1, 1}, clock.now).size() == 2);
    clock.advance(10ms);
    CHECK(reporter.update(std::array<std::uint64_t, 2>{4, 1}, clock.now).empty());
    CHECK(same(reporter.flush(), {{frontend, 3, 4}}));
    CHECK(reporter.flush().empty());
}

TEST_CASE("totals in the wrong number are a programming error", "[drops]") {
    zd::drop_reporter_t reporter(2);
    CHECK_THROWS_AS(reporter.update(std::array<std::uint64_t, 1>{1}, {}), std::invalid_argument);
}
