// producer_t against a fake journal (test_clients_fake_journal.hpp): the exact PUB frames,
// the window, NACK-driven resends after a lost message, resends that ride out a journal
// restart without loss or duplicates, refusals, and the reused-id hazard made visible.
//
//     producer_t (DEALER) ---tcp---> fake journal (ROUTER, thread): log, ACK / NACK / ERR
#include "journal/client/producer.hpp"
#include "test_clients_fake_journal.hpp"

#include <catch2/catch.hpp>

using namespace zd::test;
using namespace std::chrono_literals;
using zd::journal::journal_error;
using zd::journal::producer_options_t;
using zd::journal::producer_t;

namespace {

producer_options_t quick(std::uint64_t first_seq, std::size_t window = 100) {
    producer_options_t options;
    options.first_seq = first_seq;
    options.window = window;
    options.resend_after = 300ms;
    options.socket.linger_ms = 0;
    return options;
}

// The seq in a "PUB producer-id seq base" header.
std::uint64_t seq_of(const frames_t& message) {
    const std::string& header = message.at(1);
    const auto first = header.find(' ', 4);
    return std::stoull(header.substr(first + 1, header.find(' ', first + 1) - first - 1));
}

// The fake's log as (producer, seq) pairs, to compare against what was sent.
std::vector<std::pair<std::string, std::uint64_t>> sequence_of(fake_journal_t& journal) {
    std::vector<std::pair<std::string, std::uint64_t>> result;
    for (const auto& record : journal.log())
        result.emplace_back(record.producer, record.seq);
    return result;
}

std::vector<std::pair<std::string, std::uint64_t>>
expected(const std::string& producer, std::uint64_t first, std::uint64_t last) {
    std::vector<std::pair<std::string, std::uint64_t>> result;
    for (std::uint64_t seq = first; seq <= last; ++seq)
        result.emplace_back(producer, seq);
    return result;
}

} // namespace

TEST_CASE("a producer sends PUB id seq base frames and the ACK empties its window",
          "[journal][clients][producer]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    producer_t producer(context, journal.endpoint(), "p1", quick(100));

    CHECK(producer.send({"a", "", "c"}) == 100);
    CHECK(producer.send({"d"}) == 101);
    REQUIRE(producer.flush(5s));
    CHECK(producer.acked() == 101);
    CHECK(producer.unacked() == 0);
    CHECK(producer.last_seq() == 101);

    const auto received = journal.received();
    REQUIRE(received.size() == 2);
    const std::string id = received[0][0];
    CHECK(received[0] == frames_t{id, "PUB p1 100 100", "a", "", "c"});
    // base is the oldest unacknowledged seq: 100 unless the first ACK came back already.
    CHECK(((received[1] == frames_t{id, "PUB p1 101 100", "d"}) ||
           (received[1] == frames_t{id, "PUB p1 101 101", "d"})));
    const auto log = journal.log();
    REQUIRE(log.size() == 2);
    CHECK(log[0].frames == frames_t{"a", "", "c"}); // frame boundaries and empty frames kept
    CHECK(log[1].frames == frames_t{"d"});
    CHECK(producer.resends() == 0);
}

TEST_CASE("sequence numbers start at the current time in microseconds",
          "[journal][clients][producer]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    using namespace std::chrono;
    const auto before = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
    producer_options_t options;
    options.socket.linger_ms = 0;
    producer_t producer(context, journal.endpoint(), "clock", options);
    const auto after = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
    const std::uint64_t seq = producer.send({"x"});
    CHECK(seq >= std::uint64_t(before));
    CHECK(seq <= std::uint64_t(after));
    CHECK(producer.send({"y"}) == seq + 1);
    CHECK(producer.flush(5s));
}

TEST_CASE("send waits while the window is full and goes on when ACKs come",
          "[journal][clients][producer]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    journal.with_state([](auto& state) { state.hold_acks = true; });
    producer_t producer(context, journal.endpoint(), "w", quick(1, 3));
    for (int i = 0; i < 3; ++i)
        REQUIRE(producer.send({"m" + std::to_string(i)}, 1s));
    CHECK(producer.unacked() == 3);
    const auto started = std::chrono::steady_clock::now();
    CHECK_FALSE(producer.send({"m3"}, 200ms)); // the window is full: nothing queued
    CHECK(std::chrono::steady_clock::now() - started >= 200ms);
    CHECK(producer.last_seq() == 3);
    REQUIRE(journal.wait_until([](auto& state) { return state.log.size() == 3; }));

    // The journal acknowledges again: the next resend (duplicates, answered ACK 3) frees
    // the window.
    journal.with_state([](auto& state) { state.hold_acks = false; });
    REQUIRE(producer.send({"m3"}, 5s));
    REQUIRE(producer.flush(5s));
    CHECK(producer.acked() == 4);
    CHECK(producer.resends() >= 1);
    CHECK(sequence_of(journal) == expected("w", 1, 4)); // resends stored nothing twice
}

TEST_CASE("a lost message is answered NACK and resent from there, once, in order",
          "[journal][clients][producer][nack]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    // The message with seq 12 is lost the first time (as with a dropped connection).
    bool dropped = false;
    journal.with_state([&](auto& state) {
        state.drop = [&dropped](const frames_t& message) {
            if (dropped || message.size() < 2 || message[1].rfind("PUB gap 12 ", 0) != 0)
                return false;
            dropped = true;
            return true;
        };
    });
    auto options = quick(10);
    options.resend_after = 10s; // only the NACK may bring the resend
    producer_t producer(context, journal.endpoint(), "gap", options);
    for (int i = 0; i < 6; ++i)
        producer.send({"m" + std::to_string(i)});
    REQUIRE(producer.flush(5s));
    CHECK(producer.acked() == 15);
    CHECK(producer.nacks() >= 1);
    CHECK(producer.resends() == 0);
    CHECK(sequence_of(journal) == expected("gap", 10, 15));
    const auto log = journal.log();
    for (std::size_t i = 0; i < log.size(); ++i)
        CHECK(log[i].frames == frames_t{"m" + std::to_string(i)});
}

TEST_CASE("a producer rides out a journal restart: resent with the same seq, stored once",
          "[journal][clients][producer][restart]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    producer_t producer(context, journal.endpoint(), "r", quick(1000));

    for (int i = 0; i < 5; ++i)
        producer.send({"before-" + std::to_string(i)});
    REQUIRE(producer.flush(5s));

    // Next five: 1005 and 1006 are stored but their ACKs die with the journal; 1007..1009
    // are lost with its memory.
    journal.with_state([](auto& state) {
        state.hold_acks = true;
        state.drop = [](const frames_t& message) {
            return message[1].rfind("PUB ", 0) == 0 && seq_of(message) >= 1007;
        };
    });
    for (int i = 0; i < 5; ++i)
        producer.send({"during-" + std::to_string(i)});
    producer.poll_acks(0ms); // hand them to the socket
    REQUIRE(journal.wait_until([](auto& state) { return state.received.size() >= 10; }));
    journal.crash();
    producer.poll_acks(100ms); // the journal is down: nothing comes
    CHECK(producer.acked() == 1004);
    journal.with_state([](auto& state) {
        state.hold_acks = false;
        state.drop = nullptr;
    });
    journal.restart();

    // Nothing new to send: only the resend timer can bring 1005..1009 back.
    REQUIRE(producer.flush(10s));
    CHECK(producer.acked() == 1009);
    CHECK(producer.resends() >= 1);
    for (int i = 0; i < 3; ++i)
        producer.send({"after-" + std::to_string(i)});
    REQUIRE(producer.flush(10s));
    CHECK(producer.acked() == 1012);
    CHECK(sequence_of(journal) == expected("r", 1000, 1012)); // no loss, no duplicate
    CHECK(journal.log()[7].frames == frames_t{"during-2"});
}

TEST_CASE("after a journal restart the next message reveals the lost ones: NACK, no timer",
          "[journal][clients][producer][restart][nack]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    auto options = quick(1);
    options.resend_after = 20s; // the timer must not be what saves us
    producer_t producer(context, journal.endpoint(), "r2", options);
    producer.send({"1"});
    REQUIRE(producer.flush(5s));
    journal.with_state([](auto& state) {
        state.drop = [](const frames_t& message) { return message[1].rfind("PUB ", 0) == 0; };
    });
    producer.send({"2"}); // lost with the journal
    producer.send({"3"});
    producer.poll_acks(0ms);
    REQUIRE(journal.wait_until([](auto& state) { return state.received.size() >= 3; }));
    journal.crash();
    journal.with_state([](auto& state) { state.drop = nullptr; });
    journal.restart();
    REQUIRE(journal.wait_connections(1)); // else "4" may die with the old connection
    producer.send({"4"}); // 2 and 3 unacked: base 2, the journal expects 2 and says so
    REQUIRE(producer.flush(5s));
    CHECK(producer.resends() == 0);
    CHECK(producer.nacks() >= 1);
    CHECK(sequence_of(journal) == expected("r2", 1, 4));
}

TEST_CASE("a journal that refuses a message (ERR 413) stops the producer",
          "[journal][clients][producer]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    journal.with_state([](auto& state) {
        state.refuse_pub = std::pair<std::string, std::string>{"413", "too large"};
    });
    producer_t producer(context, journal.endpoint(), "big", quick(1));
    producer.send({std::string(1000, 'x')});
    try {
        producer.flush(5s);
        FAIL("flush returned instead of throwing");
    } catch (const journal_error& error) {
        CHECK(error.code() == "413");
        CHECK(error.text() == "too large");
    }
    REQUIRE(producer.failed());
    CHECK_THROWS_AS(producer.send({"next"}), journal_error); // every call rethrows
    CHECK_THROWS_AS(producer.poll_acks(0ms), journal_error);
    CHECK(producer.unacked() == 1);
}

TEST_CASE("ERR 503 (journal unavailable) is counted and the message resent later",
          "[journal][clients][producer]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    journal.with_state([](auto& state) {
        state.refuse_pub = std::pair<std::string, std::string>{"503", "disk full"};
    });
    producer_t producer(context, journal.endpoint(), "full", quick(1));
    producer.send({"x"});
    CHECK_FALSE(producer.flush(150ms));
    CHECK(producer.unavailable() >= 1);
    CHECK_FALSE(producer.failed());
    journal.with_state([](auto& state) { state.refuse_pub.reset(); });
    REQUIRE(producer.flush(5s)); // the resend after resend_after is stored
    CHECK(producer.resends() >= 1);
    CHECK(sequence_of(journal) == expected("full", 1, 1));
}

TEST_CASE("a reused id with lower sequence numbers shows up as ACKs beyond what was sent",
          "[journal][clients][producer]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    journal.with_state([](auto& state) { state.last_seq["old"] = 5000; });
    producer_t producer(context, journal.endpoint(), "old", quick(10));
    producer.send({"taken for a duplicate"});
    REQUIRE(producer.flush(5s));
    CHECK(producer.acks_beyond_sent() == 1); // the hazard, visible
    CHECK(journal.log().empty());            // and indeed nothing was stored
}

TEST_CASE("a NACK for a seq already acknowledged is stale and ignored",
          "[journal][clients][producer][nack]") {
    // The journal answers a batch's ACK before its NACKs: a gap the same batch filled is
    // NACKed after it was ACKed (seen against the real zd-journal under kill -9).
    zmq::context_t context;
    fake_journal_t journal(context);
    auto options = quick(1);
    options.resend_after = 20s; // no timer resends during this test
    producer_t producer(context, journal.endpoint(), "n", options);
    producer.send({"a"});
    producer.send({"b"});
    REQUIRE(producer.flush(5s));
    journal.with_state([](auto& state) { state.nack_with = 2; }); // stale: 2 is acked
    producer.send({"c"});
    CHECK_FALSE(producer.flush(300ms)); // the fake NACKs instead of storing
    CHECK_FALSE(producer.failed());
    CHECK(producer.nacks() == 0); // no rewind for it
    CHECK(journal.wait_until([](auto& state) {
        return std::count_if(state.received.begin(), state.received.end(), [](const auto& m) {
                   return m.size() > 1 && m[1].rfind("PUB n 3 ", 0) == 0;
               }) == 1;
    })); // sent once, not resent
    journal.with_state([](auto& state) { state.nack_with.reset(); });
}

TEST_CASE("producer arguments are checked before any socket exists",
          "[journal][clients][producer]") {
    zmq::context_t context;
    CHECK_THROWS_AS(producer_t(context, "tcp://127.0.0.1:1", std::string(256, 'x')),
                    std::invalid_argument);
    auto options = quick(1);
    options.window = 0;
    CHECK_THROWS_AS(producer_t(context, "tcp://127.0.0.1:1", "p", options), std::invalid_argument);
    options = quick(0);
    CHECK_THROWS_AS(producer_t(context, "tcp://127.0.0.1:1", "p", options), std::invalid_argument);
    CHECK_THROWS_AS(producer_t(context, "tcp://x", "p"), zd::endpoint_error);
    CHECK_THROWS_AS(producer_t(context, "tcp://127.0.0.1:1", ""), std::invalid_argument);
    CHECK_THROWS_AS(producer_t(context, "tcp://127.0.0.1:1", "a b"), std::invalid_argument);
    producer_t producer(context, "tcp://127.0.0.1:1", "p", quick(1));
    CHECK_THROWS_AS(producer.send({}), std::invalid_argument);
}
