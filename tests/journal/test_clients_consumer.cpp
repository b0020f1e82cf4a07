// consumer_t against a fake journal (test_clients_fake_journal.hpp): the SUB frames, records
// in order within the window, batched cumulative ACKs, resuming from the stored offset after
// a consumer restart, and re-subscribing after a journal restart (by the idle timer and by
// the ERR an ACK gets) without handing the application a record twice.
//
//     consumer_t (DEALER) ---tcp---> fake journal (ROUTER, thread): log, stored offsets
#include "journal/client/consumer.hpp"
#include "test_clients_fake_journal.hpp"

#include <catch2/catch.hpp>

using namespace zd::test;
using namespace std::chrono_literals;
using zd::journal::consumer_options_t;
using zd::journal::consumer_t;
using zd::journal::journal_error;

namespace {

consumer_options_t quick(std::uint32_t ack_every = 1) {
    consumer_options_t options;
    options.ack_every = ack_every;
    options.resubscribe_after = 300ms;
    options.socket.linger_ms = 0;
    return options;
}

std::vector<frames_t> numbered(int first, int count) {
    std::vector<frames_t> messages;
    for (int i = first; i < first + count; ++i)
        messages.push_back({"m" + std::to_string(i), std::to_string(i)});
    return messages;
}

} // namespace

TEST_CASE("a consumer SUBscribes between two PINGs and receives records with their offsets",
          "[journal][clients][consumer]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    journal.append({{"a", ""}, {"b"}});
    consumer_t consumer(context, journal.endpoint(), "c1", "earliest", 10, quick());

    auto record = consumer.receive(5s);
    REQUIRE(record);
    CHECK(record->offset == 0);
    CHECK(record->timestamp_ns == fake_journal_t::timestamp_of(0));
    CHECK(record->frames == frames_t{"a", ""});
    record = consumer.receive(5s);
    REQUIRE(record);
    CHECK(record->offset == 1);
    CHECK(record->frames == frames_t{"b"});

    // The second PING follows the SUB at once, but the fake journal's thread may not have
    // taken it yet when the records arrive: wait for it.
    REQUIRE(journal.wait_until([](auto& state) { return state.received.size() >= 3; }));
    const auto received = journal.received();
    const std::string id = received[0][0];
    CHECK(received[0] == frames_t{id, "PING"});
    CHECK(received[1] == frames_t{id, "SUB c1 earliest 10"});
    CHECK(received[2] == frames_t{id, "PING"});
    CHECK(consumer.subscriptions() == 1);
}

TEST_CASE("records flow in order within the window as the consumer acks them",
          "[journal][clients][consumer]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    journal.append(numbered(0, 50));
    consumer_t consumer(context, journal.endpoint(), "flow", "", 4, quick(2));

    for (std::uint64_t expected = 0; expected < 50; ++expected) {
        auto record = consumer.receive(5s);
        REQUIRE(record);
        REQUIRE(record->offset == expected);
        CHECK(record->frames == frames_t{"m" + std::to_string(expected), std::to_string(expected)});
        consumer.ack(record->offset);
    }
    CHECK_FALSE(consumer.receive(50ms)); // idle: the pending ACK goes out
    CHECK(journal.wait_until([](auto& state) { return state.stored["flow"] == 50; }));
    CHECK(consumer.acked() == 49u);
    CHECK(consumer.duplicates_dropped() == 0);
}

TEST_CASE("without ACKs the journal stops at the window", "[journal][clients][consumer]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    journal.append(numbered(0, 20));
    auto options = quick();
    options.resubscribe_after = 10s;
    consumer_t consumer(context, journal.endpoint(), "slow", "earliest", 5, options);
    for (int i = 0; i < 5; ++i)
        REQUIRE(consumer.receive(5s));
    CHECK_FALSE(consumer.receive(200ms)); // five in flight, none acknowledged
    consumer.ack(2);                      // three more may come
    for (std::uint64_t expected = 5; expected < 8; ++expected) {
        auto record = consumer.receive(5s);
        REQUIRE(record);
        CHECK(record->offset == expected);
    }
    CHECK_FALSE(consumer.receive(200ms));
}

TEST_CASE("a new consumer with the same name resumes after the last acknowledged record",
          "[journal][clients][consumer]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    journal.append(numbered(0, 10));
    {
        consumer_t first(context, journal.endpoint(), "resume", "", 100, quick(100));
        for (int i = 0; i < 5; ++i)
            REQUIRE(first.receive(5s));
        first.ack(2); // batched (ack_every 100): sent by the destructor
    }
    REQUIRE(journal.wait_until([](auto& state) { return state.stored["resume"] == 3; }));
    consumer_t second(context, journal.endpoint(), "resume", "", 100, quick());
    auto record = second.receive(5s);
    REQUIRE(record);
    CHECK(record->offset == 3); // 3 and 4 were received but not acked: delivered again
}

TEST_CASE("after a journal restart the consumer SUBscribes again and loses nothing",
          "[journal][clients][consumer][restart]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    journal.append(numbered(0, 6));
    consumer_t consumer(context, journal.endpoint(), "survivor", "earliest", 100, quick());
    for (std::uint64_t expected = 0; expected < 6; ++expected) {
        auto record = consumer.receive(5s);
        REQUIRE(record);
        REQUIRE(record->offset == expected);
        if (expected < 3) consumer.ack(expected); // 3..5 received, not yet acknowledged
    }
    REQUIRE(journal.wait_until([](auto& state) { return state.stored["survivor"] == 3; }));

    // The journal dies and comes back; its stored offset is older than the last ACK (offsets
    // are written lazily), and it has new records.
    journal.crash();
    journal.with_state([](auto& state) { state.stored["survivor"] = 1; });
    journal.restart();
    journal.append(numbered(6, 4));

    // Nothing is acked meanwhile, so only the idle timer notices (300 ms here).
    const auto started = std::chrono::steady_clock::now();
    auto record = consumer.receive(5s);
    REQUIRE(record);
    CHECK(record->offset == 6); // 3..5 came again and were dropped: the app has them
    CHECK(std::chrono::steady_clock::now() - started >= 250ms);
    CHECK(consumer.subscriptions() >= 2);
    CHECK(consumer.duplicates_dropped() == 3);
    // The new SUB started at the first record not acknowledged, not at the stale offset.
    const auto received = journal.received();
    bool resubscribed_at_3 = false;
    for (const auto& message : received)
        if (message.size() == 2 && message[1] == "SUB survivor 3 100") resubscribed_at_3 = true;
    CHECK(resubscribed_at_3);
    for (std::uint64_t expected = 7; expected < 10; ++expected) {
        record = consumer.receive(5s);
        REQUIRE(record);
        CHECK(record->offset == expected);
        consumer.ack(expected);
    }
    CHECK_FALSE(consumer.receive(50ms));
    CHECK(journal.wait_until([](auto& state) { return state.stored["survivor"] == 10; }));
}

TEST_CASE("an ACK the restarted journal does not expect (ERR 400) brings a new SUB at once",
          "[journal][clients][consumer][restart]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    journal.append(numbered(0, 3));
    auto options = quick();
    options.resubscribe_after = 20s; // the timer must not be what saves us
    consumer_t consumer(context, journal.endpoint(), "eager", "earliest", 100, options);
    for (int i = 0; i < 3; ++i)
        REQUIRE(consumer.receive(5s));
    journal.restart();                    // forgets the subscription
    REQUIRE(journal.wait_connections(1)); // else the ACK may die with the old connection
    journal.append(numbered(3, 1));
    consumer.ack(2); // answered ERR 400 "ACK before SUB"
    auto record = consumer.receive(5s);
    REQUIRE(record);
    CHECK(record->offset == 3);
    CHECK(consumer.subscriptions() == 2);
}

TEST_CASE("a consumer never blocks on a journal that stays away",
          "[journal][clients][consumer][restart]") {
    // While the journal is gone every quiet interval queues another SUB: a full socket queue
    // must not hang receive() (it did, with blocking sends, after ~1000 queued messages).
    zmq::context_t context;
    fake_journal_t journal(context);
    journal.append(numbered(0, 1));
    auto options = quick();
    options.resubscribe_after = 10ms;
    options.socket.send_hwm = 2;
    consumer_t consumer(context, journal.endpoint(), "patient", "earliest", 10, options);
    REQUIRE(consumer.receive(5s));
    consumer.ack(0);
    journal.crash();
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 10; ++i) {
        CHECK_FALSE(consumer.receive(30ms));
        consumer.flush_acks();
    }
    CHECK(std::chrono::steady_clock::now() - started < 5s);
    journal.append(numbered(1, 1));
    journal.restart();
    auto record = consumer.receive(5s); // a later SUB gets through once it is back
    REQUIRE(record);
    CHECK(record->offset == 1);
}

TEST_CASE("a SUB the journal refuses throws with its code", "[journal][clients][consumer]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    journal.append(numbered(0, 10));
    journal.with_state([](auto& state) { state.first_retained = 5; });
    consumer_t consumer(context, journal.endpoint(), "late", "2", 10, quick());
    try {
        consumer.receive(5s);
        FAIL("receive returned instead of throwing");
    } catch (const journal_error& error) {
        CHECK(error.code() == "404");
    }
    consumer_t past(context, journal.endpoint(), "past", "11", 10, quick());
    try {
        past.receive(5s);
        FAIL("receive returned instead of throwing");
    } catch (const journal_error& error) {
        CHECK(error.code() == "400"); // the SUB itself, told apart from a stray ACK
    }
}

TEST_CASE("consumer arguments are checked before any socket exists",
          "[journal][clients][consumer]") {
    zmq::context_t context;
    const std::string endpoint = "tcp://127.0.0.1:1";
    CHECK_THROWS_AS(consumer_t(context, endpoint, ""), std::invalid_argument);
    CHECK_THROWS_AS(consumer_t(context, endpoint, std::string(256, 'n')), std::invalid_argument);
    CHECK_THROWS_AS(consumer_t(context, endpoint, "a b"), std::invalid_argument);
    CHECK_THROWS_AS(consumer_t(context, endpoint, "n", "-1"), std::invalid_argument);
    CHECK_THROWS_AS(consumer_t(context, endpoint, "n", "1 "), std::invalid_argument);
    CHECK_THROWS_AS(consumer_t(context, endpoint, "n", "", 0), std::invalid_argument);
    CHECK_THROWS_AS(consumer_t(context, endpoint, "n", "", 65537), std::invalid_argument);
    CHECK_THROWS_AS(consumer_t(context, "tcp://x", "n"), zd::endpoint_error);
    try {
        consumer_t(context, endpoint, "n", "soon");
    } catch (const std::invalid_argument& error) {
        CHECK(std::string(error.what()).find("'soon'") != std::string::npos);
    }
}
