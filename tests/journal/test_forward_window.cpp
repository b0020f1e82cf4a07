// zd-link's forward window without sockets: records from a fake near journal go in, the
// test plays the far journal (ACK, NACK, silence) with a fake clock, and checks what would
// be published, with which key and base, and when the near offset may move. One case per
// promise of docs/JOURNAL.md, "Store-and-forward links".
#include "journal/link/forward_window.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace zd::journal;
using namespace std::chrono_literals;

namespace {

using clock_t_ = forward_window_t::clock;
const clock_t_::time_point t0{};

record_t named(std::uint64_t offset, std::string producer, std::uint64_t seq) {
    record_t record;
    record.offset = offset;
    record.producer_id = std::move(producer);
    record.producer_seq = seq;
    record.frames = {"m" + std::to_string(offset)};
    return record;
}

record_t anonymous(std::uint64_t offset) {
    record_t record;
    record.offset = offset;
    record.frames = {"a" + std::to_string(offset)};
    return record;
}

struct pub_t {
    std::string producer;
    std::uint64_t seq, base, near_offset;
    bool operator==(const pub_t&) const = default;
};

// Publishes everything the window lets out now, as the far socket would take it.
std::vector<pub_t> publish_all(forward_window_t& window, clock_t_::time_point now = t0) {
    std::vector<pub_t> out;
    while (const auto next = window.next_to_publish()) {
        out.push_back(
            {next->entry->producer, next->entry->seq, next->base, next->entry->near_offset});
        window.mark_published(now);
    }
    return out;
}

} // namespace

TEST_CASE("records go out under their origin producer id and seq, in near order",
          "[journal][link]") {
    forward_window_t window("zd-link.l", 1000ms);
    window.add(named(0, "p", 7));
    window.add(named(1, "q", 100));
    window.add(named(2, "p", 8));
    CHECK(publish_all(window) ==
          std::vector<pub_t>{{"p", 7, 7, 0}, {"q", 100, 100, 1}, {"p", 8, 7, 2}});
    CHECK(window.in_flight() == 3);
    CHECK_FALSE(window.next_to_publish().has_value());
}

TEST_CASE("the near offset moves only past a prefix the far journal acknowledged",
          "[journal][link]") {
    forward_window_t window("zd-link.l", 1000ms);
    window.add(named(0, "p", 1));
    window.add(named(1, "q", 1));
    window.add(named(2, "p", 2));
    publish_all(window);
    CHECK(window.on_ack("p", 2, t0) == 0u); // offset 1 (q) is not stored far yet
    CHECK(window.size() == 2);
    CHECK(window.on_ack("q", 1, t0) == 2u); // now everything up to offset 2
    CHECK(window.size() == 0);
    CHECK(window.in_flight() == 0);
    CHECK(window.near_acked() == 2u);
    CHECK(window.counters().far_acked == 3);
}

TEST_CASE("an ACK for a producer the window does not hold changes nothing", "[journal][link]") {
    forward_window_t window("zd-link.l", 1000ms);
    window.add(named(0, "p", 1));
    publish_all(window);
    CHECK(window.on_ack("other", 5, t0) == std::nullopt);
    CHECK(window.on_ack("p", 0, t0) == std::nullopt);
    CHECK(window.in_flight() == 1);
}

TEST_CASE("records without a producer id get the fallback key: link id, near offset + 1",
          "[journal][link]") {
    forward_window_t window("zd-link.l", 1000ms);
    window.add(anonymous(4));
    window.add(anonymous(5));
    window.add(named(6, "p", 1));
    window.add(anonymous(7)); // a jump in the fallback seqs (offset 6 was named)
    const auto out = publish_all(window);
    // The record at offset 7 waits: base 8 would let the far journal skip 5 and 6 if lost.
    CHECK(out ==
          std::vector<pub_t>{{"zd-link.l", 5, 5, 4}, {"zd-link.l", 6, 5, 5}, {"p", 1, 1, 6}});
    CHECK(window.counters().anonymous == 3);
    CHECK(window.on_ack("zd-link.l", 6, t0) == 5u);
    CHECK(publish_all(window) == std::vector<pub_t>{{"zd-link.l", 8, 8, 7}});
}

TEST_CASE("after a producer's seq jumps (it restarted), the next record waits for the earlier",
          "[journal][link]") {
    forward_window_t window("zd-link.l", 1000ms);
    window.add(named(0, "p", 5));
    window.add(named(1, "p", 6));
    window.add(named(2, "p", 1000)); // p restarted with a new first seq
    window.add(named(3, "q", 1));    // waits behind it: publishing keeps near order
    CHECK(publish_all(window) == std::vector<pub_t>{{"p", 5, 5, 0}, {"p", 6, 5, 1}});
    CHECK(window.waiting() == 2);
    // Only 5 stored: 1000 still waits (6 could be lost in transit).
    CHECK(window.on_ack("p", 5, t0) == 0u);
    CHECK(publish_all(window).empty());
    CHECK(window.on_ack("p", 6, t0) == 1u);
    CHECK(publish_all(window) == std::vector<pub_t>{{"p", 1000, 1000, 2}, {"q", 1, 1, 3}});
}

TEST_CASE("a NACK resends that producer's records from the expected seq, once per gap",
          "[journal][link]") {
    forward_window_t window("zd-link.l", 1000ms);
    for (std::uint64_t i = 0; i < 4; ++i)
        window.add(named(i, "p", 10 + i));
    window.add(named(4, "q", 1));
    publish_all(window);
    CHECK(window.on_ack("p", 10, t0) == 0u);
    window.on_nack("p", 11); // 11 was lost: 12 and 13 were NACKed
    window.on_nack("p", 11); // the NACK for 13 names the same gap
    CHECK(window.counters().nacks == 1);
    CHECK(publish_all(window) ==
          std::vector<pub_t>{{"p", 11, 11, 1}, {"p", 12, 11, 2}, {"p", 13, 11, 3}});
    CHECK(window.counters().republished == 3);
    window.on_nack("p", 10); // stale: 10 is acknowledged
    CHECK(publish_all(window).empty());
}

TEST_CASE("no ACK progress for resend_after: everything in flight goes out again",
          "[journal][link]") {
    forward_window_t window("zd-link.l", 1000ms);
    window.add(named(0, "p", 1));
    window.add(named(1, "p", 2));
    publish_all(window, t0);
    CHECK(window.resend_due() == t0 + 1000ms);
    CHECK_FALSE(window.resend_if_stalled(t0 + 999ms));
    CHECK(window.resend_if_stalled(t0 + 1000ms));
    CHECK(window.counters().stalls == 1);
    CHECK(publish_all(window, t0 + 1000ms) == std::vector<pub_t>{{"p", 1, 1, 0}, {"p", 2, 1, 1}});
    // Progress restarts the clock; an empty flight has no deadline.
    CHECK(window.on_ack("p", 2, t0 + 1500ms) == 1u);
    CHECK(window.resend_due() == clock_t_::time_point::max());
}

TEST_CASE("the far journal acknowledging a seq above what was sent covers records not sent yet",
          "[journal][link]") {
    // A replay after a link restart: the far journal has them already, its ACK carries its
    // last stored seq.
    forward_window_t window("zd-link.l", 1000ms);
    window.add(named(0, "p", 1));
    window.add(named(1, "p", 2));
    window.add(named(2, "p", 3));
    const auto first = window.next_to_publish();
    REQUIRE(first);
    window.mark_published(t0);
    CHECK(window.on_ack("p", 3, t0) == 2u);
    CHECK(window.in_flight() == 0);
    CHECK_FALSE(window.next_to_publish().has_value());
}

TEST_CASE("a producer the window forgot (all acked) starts again at the seq of its next record",
          "[journal][link]") {
    forward_window_t window("zd-link.l", 1000ms);
    window.add(named(0, "p", 1));
    publish_all(window);
    CHECK(window.on_ack("p", 1, t0) == 0u);
    window.add(named(1, "p", 2));
    CHECK(publish_all(window) == std::vector<pub_t>{{"p", 2, 2, 1}});
}
