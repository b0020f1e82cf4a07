// Cycle detection for chained forwarders (lib/base/loop_probe.hpp): each forwarder's probe is
// a reserved topic naming it, and only its own probe coming back is a cycle.
#include "base/loop_probe.hpp"

#include <catch2/catch.hpp>

TEST_CASE("a loop probe is the reserved prefix and 16 hex digits, different per forwarder",
          "[loop]") {
    const zd::loop_probe_t one, two;
    CHECK(one.topic().size() == zd::loop_probe_prefix.size() + 16);
    CHECK(zd::is_loop_probe(one.topic()));
    CHECK(one.topic().find_first_not_of("0123456789abcdef", zd::loop_probe_prefix.size()) ==
          std::string::npos);
    CHECK(one.topic() != two.topic());
    CHECK_FALSE(zd::is_loop_probe("news"));
    CHECK_FALSE(zd::is_loop_probe(""));
    CHECK_FALSE(zd::is_loop_probe("\xffzd-loo")); // a prefix of the prefix is a topic
}

TEST_CASE("only a forwarder's own probe coming back is a cycle", "[loop]") {
    const zd::loop_probe_t mine, theirs;
    CHECK_NOTHROW(mine.check_downstream(theirs.topic())); // passes upstream, no cycle
    CHECK_NOTHROW(mine.check_downstream("news"));
    CHECK_NOTHROW(mine.check_downstream(mine.topic().substr(0, mine.topic().size() - 1)));
    CHECK_THROWS_WITH(mine.check_downstream(mine.topic()),
                      Catch::Contains("subscription loop") && Catch::Contains("cycle"));
    CHECK_THROWS_AS(mine.check_downstream(mine.topic()), zd::subscription_loop_error);
}
