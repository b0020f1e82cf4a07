// The MDP worker session (lib/mdp/worker_session.hpp) with a fake link and a hand-moved clock:
// fake broker frames go in, the frames the worker sends and the connections it opens and
// closes are recorded. One case per promise of the worker's life cycle (7/MDP, 18/MDP).
//
//     test --on_message(frames), on_timer(now)--> worker_session_t --send/open/close--> fake link
#include "mdp/worker_session.hpp"

#include "broker_harness.hpp"

#include <catch2/catch.hpp>
#include <deque>
#include <string>
#include <vector>

using namespace zd::mdp;
using zd::mdp::test::byte;
using zd::mdp::test::frames_t;
using zd::mdp::test::t0;
using namespace std::chrono_literals;

namespace {

class fake_link_t : public worker_link_t {
public:
    void open() override { ++opens; }
    void close() override { ++closes; }
    bool send(const std::string_view* frames, std::size_t count) override {
        if (refuse) return false;
        sent.emplace_back(frames, frames + count);
        return true;
    }
    frames_t take() {
        REQUIRE_FALSE(sent.empty());
        frames_t message = std::move(sent.front());
        sent.pop_front();
        return message;
    }
    std::deque<frames_t> sent;
    int opens = 0, closes = 0;
    bool refuse = false;
};

worker_session_config_t config_for(version v) {
    worker_session_config_t config;
    config.service = "echo";
    config.protocol = v;
    config.heartbeat_interval = 1000ms;
    config.heartbeat_liveness = 3;
    config.reconnect_delay = 500ms;
    return config;
}

// A worker session at a clock the test moves, its link recording.
struct session_harness_t {
    fake_link_t link;
    worker_session_t session;
    worker_session_t::time_point now = t0;
    std::vector<std::string_view> views;

    explicit session_harness_t(version v) : session(config_for(v), link) {}

    worker_session_t::event_t receive(const frames_t& frames) {
        views.assign(frames.begin(), frames.end());
        return session.on_message(views.data(), views.size(), now);
    }
    void advance(std::chrono::milliseconds by) {
        now += by;
        if (now >= session.next_timer()) session.on_timer(now);
    }
};

const frames_t ready_v01{"", "MDPW01", byte(0x01), "echo"};
const frames_t ready_v02{"MDPW02", byte(0x01), "echo"};

} // namespace

TEST_CASE("worker session: start opens a connection and sends READY", "[mdp][worker_session]") {
    session_harness_t v01(version::v01), v02(version::v02);
    v01.session.start(v01.now);
    v02.session.start(v02.now);
    CHECK(v01.link.opens == 1);
    CHECK(v01.link.take() == ready_v01);
    CHECK(v02.link.take() == ready_v02);
    CHECK(v02.session.connected());
    CHECK(v02.session.connection() == 1);
}

TEST_CASE("worker session: a REQUEST hands over the envelope, the reply goes back to it",
          "[mdp][worker_session]") {
    session_harness_t h(version::v02);
    h.session.start(h.now);
    h.link.take();
    const frames_t request{"MDPW02", byte(0x02), "client-7", "", "a", "b"};
    const auto event = h.receive(request);
    REQUIRE(event.kind == worker_session_t::event_kind::request);
    CHECK(request[event.client] == "client-7");
    CHECK(event.body == 4);
    const std::string_view partial[] = {"half"};
    CHECK(h.session.reply("client-7", partial, 1, false, h.now));
    CHECK(h.link.take() == frames_t{"MDPW02", byte(0x03), "client-7", "", "half"});
    const std::string_view body[] = {"a", "b"};
    CHECK(h.session.reply("client-7", body, 2, true, h.now));
    CHECK(h.link.take() == frames_t{"MDPW02", byte(0x04), "client-7", "", "a", "b"});
    CHECK(h.session.counters().requests == 1);
}

TEST_CASE("worker session: MDP/0.1 replies with REPLY, an empty frame first, no PARTIAL",
          "[mdp][worker_session]") {
    session_harness_t h(version::v01);
    h.session.start(h.now);
    h.link.take();
    const auto event = h.receive({"", "MDPW01", byte(0x02), "c", "", "x"});
    REQUIRE(event.kind == worker_session_t::event_kind::request);
    CHECK(h.session.reply("c", nullptr, 0, false, h.now)); // dropped: 0.1 has no PARTIAL
    CHECK(h.link.sent.empty());
    CHECK(h.session.reply("c", nullptr, 0, true, h.now)); // an empty body goes as one frame
    CHECK(h.link.take() == frames_t{"", "MDPW01", byte(0x03), "c", "", ""});
}

TEST_CASE("worker session: HEARTBEAT when quiet for an interval, not after other traffic",
          "[mdp][worker_session][heartbeat]") {
    session_harness_t h(version::v02);
    h.session.start(h.now);
    h.link.take();
    h.advance(999ms);
    CHECK(h.link.sent.empty());
    h.advance(1ms);
    CHECK(h.link.take() == frames_t{"MDPW02", byte(0x05)});
    h.receive({"MDPW02", byte(0x05)});
    h.advance(500ms);
    const std::string_view body[] = {"r"};
    h.session.reply("c", body, 1, true, h.now); // any command counts as a heartbeat
    h.link.take();
    h.advance(999ms);
    CHECK(h.link.sent.empty());
    h.advance(1ms);
    CHECK(h.link.take() == frames_t{"MDPW02", byte(0x05)});
}

TEST_CASE("worker session: a broker silent for interval x liveness is left, and READY follows "
          "after the reconnect delay",
          "[mdp][worker_session][reconnect]") {
    session_harness_t h(version::v02);
    h.session.start(h.now);
    h.link.take();
    for (int i = 0; i < 2; ++i) {
        h.advance(1000ms);
        h.link.take(); // heartbeats, unanswered
    }
    h.advance(999ms);
    CHECK(h.session.connected());
    h.advance(1ms);
    CHECK_FALSE(h.session.connected());
    CHECK(h.link.closes == 1);
    CHECK(h.session.counters().broker_expired == 1);
    h.advance(499ms);
    CHECK(h.link.opens == 1);
    h.advance(1ms);
    CHECK(h.link.opens == 2);
    CHECK(h.link.take() == ready_v02);
    CHECK(h.session.connection() == 2);
}

TEST_CASE("worker session: any message from the broker keeps it alive", "[mdp][worker_session]") {
    session_harness_t h(version::v02);
    h.session.start(h.now);
    for (int i = 0; i < 10; ++i) {
        h.advance(2500ms);
        h.receive({"MDPW02", byte(0x05)});
    }
    CHECK(h.session.connected());
    CHECK(h.link.opens == 1);
}

TEST_CASE("worker session: the broker counts as heard only after it spoke on this connection",
          "[mdp][worker_session]") {
    session_harness_t h(version::v02);
    h.session.start(h.now);
    CHECK(h.session.connected());
    CHECK_FALSE(h.session.broker_heard()); // opened, READY sent: nobody may be there
    h.receive({"MDPW02", byte(0x05)});
    CHECK(h.session.broker_heard());
    for (int i = 0; i < 3; ++i)
        h.advance(1000ms); // silent for interval x liveness: left
    CHECK_FALSE(h.session.connected());
    CHECK_FALSE(h.session.broker_heard());
    h.advance(500ms); // reconnected, not heard yet on the new connection
    CHECK(h.session.connected());
    CHECK_FALSE(h.session.broker_heard());
}

TEST_CASE("worker session: DISCONNECT closes at once and reconnects after the delay",
          "[mdp][worker_session][reconnect]") {
    session_harness_t h(version::v01);
    h.session.start(h.now);
    h.link.take();
    CHECK(h.receive({"", "MDPW01", byte(0x05)}).kind == worker_session_t::event_kind::disconnected);
    CHECK(h.link.closes == 1);
    CHECK(h.session.counters().disconnects_received == 1);
    CHECK_FALSE(h.session.reply("c", nullptr, 0, true, h.now)); // nobody to answer
    h.advance(500ms);
    CHECK(h.link.opens == 2);
    CHECK(h.link.take() == ready_v01);
}

TEST_CASE("worker session: a held reconnect waits until released", "[mdp][worker_session]") {
    session_harness_t h(version::v02);
    h.session.start(h.now);
    h.receive({"MDPW02", byte(0x06)});
    h.session.hold_reconnect(true);
    CHECK(h.session.next_timer() == worker_session_t::time_point::max());
    h.now += 5000ms;
    h.session.on_timer(h.now);
    CHECK(h.link.opens == 1);
    h.session.hold_reconnect(false);
    h.advance(1ms);
    CHECK(h.link.opens == 2);
}

TEST_CASE("worker session: while not listening, the broker's silence does not count",
          "[mdp][worker_session]") {
    session_harness_t h(version::v02);
    h.session.start(h.now);
    h.session.set_listening(false, h.now);
    for (int i = 0; i < 10; ++i)
        h.advance(1000ms);
    CHECK(h.session.connected());
    CHECK(h.link.sent.size() == 11); // READY and a heartbeat a second go on
    h.session.set_listening(true, h.now);
    h.advance(2999ms);
    CHECK(h.session.connected());
    h.advance(1ms);
    CHECK_FALSE(h.session.connected());
}

TEST_CASE("worker session: malformed messages are dropped and counted",
          "[mdp][worker_session][malformed]") {
    session_harness_t h(version::v02);
    h.session.start(h.now);
    const std::vector<frames_t> garbage = {
        {"MDPW01", byte(0x02), "c", "", "x"},  // the other version
        {"MDPW02"},                            // no command
        {"MDPW02", byte(0x09)},                // unknown command
        {"MDPW02", byte(0x02) + byte(0x02)},   // two-byte command
        {"MDPW02", byte(0x02), "c"},           // no delimiter, no body
        {"MDPW02", byte(0x02), "c", "x", "y"}, // bad delimiter
        {"MDPW02", byte(0x02), "c", ""},       // no body
        {"MDPW02", byte(0x05), "extra"},       // heartbeat with a frame
        {"MDPW02", byte(0x04), "c", "", "x"},  // FINAL: the broker never sends one
        {""},
    };
    for (const auto& frames : garbage)
        CHECK(h.receive(frames).kind == worker_session_t::event_kind::malformed);
    CHECK(h.session.counters().malformed == garbage.size());
    CHECK(h.session.connected());
}

TEST_CASE("worker session: stop sends DISCONNECT and nothing more", "[mdp][worker_session]") {
    session_harness_t h(version::v02);
    h.session.start(h.now);
    h.link.take();
    h.session.stop(h.now);
    CHECK(h.link.take() == frames_t{"MDPW02", byte(0x06)});
    CHECK(h.session.next_timer() == worker_session_t::time_point::max());
    h.now += 10000ms;
    h.session.on_timer(h.now);
    CHECK(h.link.sent.empty());
}

TEST_CASE("worker session: a bad configuration is refused", "[mdp][worker_session]") {
    fake_link_t link;
    auto config = config_for(version::v02);
    config.service = "mmi.service";
    CHECK_THROWS_AS(worker_session_t(config, link), std::invalid_argument);
    config = config_for(version::v02);
    config.service.clear();
    CHECK_THROWS_AS(worker_session_t(config, link), std::invalid_argument);
    config = config_for(version::v02);
    config.heartbeat_interval = 0ms;
    CHECK_THROWS_AS(worker_session_t(config, link), std::invalid_argument);
}
