// reader_t against a fake journal (test_clients_fake_journal.hpp): pages of REC ... END,
// paging through the log like a tape, ERR 404 below the retained range, and a page that
// never finishes (the journal went away) given up on a fresh socket and read again.
//
//     reader_t (DEALER) ---tcp---> fake journal (ROUTER, thread): READ -> REC... END
#include "journal/client/reader.hpp"
#include "test_clients_fake_journal.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

using namespace zd::test;
using namespace std::chrono_literals;
using zd::journal::journal_error;
using zd::journal::reader_options_t;
using zd::journal::reader_t;

namespace {

reader_options_t quick() {
    reader_options_t options;
    options.socket.linger_ms = 0;
    return options;
}

} // namespace

TEST_CASE("a reader pages through the journal with READ position count",
          "[journal][clients][reader]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    for (int i = 0; i < 10; ++i)
        journal.append({{"r" + std::to_string(i), ""}});
    reader_t reader(context, journal.endpoint(), quick());

    auto page = reader.read("earliest", 4, 5s);
    REQUIRE(page);
    REQUIRE(page->records.size() == 4);
    CHECK(page->records[0].offset == 0);
    CHECK(page->records[0].timestamp_ns == fake_journal_t::timestamp_of(0));
    CHECK(page->records[0].frames == frames_t{"r0", ""});
    CHECK(page->next_offset == 4);
    CHECK(journal.received().back() == frames_t{journal.received().back()[0], "READ earliest 4"});

    std::uint64_t next = page->next_offset;
    std::vector<std::uint64_t> offsets;
    while (true) {
        page = reader.read(next, 4, 5s);
        REQUIRE(page);
        if (page->records.empty()) break;
        for (const auto& record : page->records)
            offsets.push_back(record.offset);
        next = page->next_offset;
    }
    CHECK(offsets == std::vector<std::uint64_t>{4, 5, 6, 7, 8, 9});
    CHECK(page->next_offset == 10);
    page = reader.read("latest", 1, 5s);
    REQUIRE(page);
    CHECK(page->records.empty());
    CHECK(page->next_offset == 10);
}

TEST_CASE("reading below the retained range throws ERR 404", "[journal][clients][reader]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    journal.append({{"a"}, {"b"}, {"c"}});
    journal.with_state([](auto& state) { state.first_retained = 2; });
    reader_t reader(context, journal.endpoint(), quick());
    try {
        reader.read(1, 10, 5s);
        FAIL("read returned instead of throwing");
    } catch (const journal_error& error) {
        CHECK(error.code() == "404");
    }
    const auto page = reader.read("earliest", 10, 5s); // the socket is still good
    REQUIRE(page);
    REQUIRE(page->records.size() == 1);
    CHECK(page->records[0].offset == 2);
}

TEST_CASE("a page that never finishes is given up and read again on a fresh socket",
          "[journal][clients][reader][restart]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    journal.append({{"a"}, {"b"}});
    reader_t reader(context, journal.endpoint(), quick());
    const auto reads = [](const auto& state) {
        return std::count_if(state.received.begin(), state.received.end(), [](const auto& m) {
            return m.size() > 1 && m[1].rfind("READ ", 0) == 0;
        });
    };
    // The journal takes the READ and goes quiet (it hangs, then dies). Connected first: a
    // READ still queued when read() gives up goes with the socket it replaces (linger 0),
    // and on a loaded machine the connection alone can take longer than the timeout.
    REQUIRE(journal.wait_connections(1));
    journal.with_state([](auto& state) { state.mute = true; });
    CHECK_FALSE(reader.read("earliest", 10, 300ms));
    REQUIRE(journal.wait_until([&](auto& state) { return reads(state) == 1; }));
    journal.crash();
    journal.with_state([](auto& state) { state.mute = false; });
    journal.restart();
    // A READ sent before the reader's socket noticed the restart could die with the old
    // connection (read() would time out and the caller read again): wait for the new one.
    REQUIRE(journal.wait_connections(1));
    const auto page = reader.read("earliest", 10, 5s);
    REQUIRE(page);
    CHECK(page->records.size() == 2);
    CHECK(page->next_offset == 2);
    // Two READs from two identities: the muted one's socket was replaced.
    std::set<std::string> identities;
    for (const auto& message : journal.received())
        if (message.size() > 1 && message[1].rfind("READ ", 0) == 0) identities.insert(message[0]);
    CHECK(identities.size() == 2);
}

TEST_CASE("reader arguments are checked before anything is sent", "[journal][clients][reader]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    reader_t reader(context, journal.endpoint(), quick());
    CHECK_THROWS_AS(reader.read("", 1, 1s), std::invalid_argument); // no stored position
    CHECK_THROWS_AS(reader.read("first", 1, 1s), std::invalid_argument);
    CHECK_THROWS_AS(reader.read("0", 0, 1s), std::invalid_argument);
    CHECK_THROWS_AS(reader.read("0", 65537, 1s), std::invalid_argument);
    CHECK(journal.received().empty());
}
