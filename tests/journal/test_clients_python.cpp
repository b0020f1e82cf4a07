// The pyzmq examples (examples/python/journal_producer.py, journal_consumer.py) against the
// fake journal (test_clients_fake_journal.hpp): they are written straight from the frame
// tables, so this checks the tables and the examples together before the lead's interop
// test runs them against the real zd-journal.
//
//     journal_producer.py (DEALER) ---tcp---> fake journal (ROUTER, thread) <---
//     journal_consumer.py
#include "child_process.hpp"
#include "test_clients_fake_journal.hpp"

#include <catch2/catch.hpp>
#include <sstream>

using namespace zd::test;
using namespace std::chrono_literals;

namespace {

run_result_t run_example(const std::string& script, const std::vector<std::string>& args,
                         milliseconds timeout = 20s) {
    std::vector<std::string> all{std::string(ZD_PYTHON_EXAMPLES) + "/" + script};
    all.insert(all.end(), args.begin(), args.end());
    return run_to_completion(ZD_PYTHON_PATH, all, timeout);
}

} // namespace

TEST_CASE("the Python producer sends every message once, in sequence, acked",
          "[journal][clients][python]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    // One message is lost on the way: the NACK brings it back in order.
    bool dropped = false;
    journal.with_state([&](auto& state) {
        state.drop = [&dropped](const frames_t& message) {
            if (dropped || message.size() != 3 || message[2] != "py 57") return false;
            if (message[1].rfind("PUB py ", 0) != 0) return false;
            dropped = true;
            return true;
        };
    });
    const auto result =
        run_example("journal_producer.py", {"--endpoint", journal.endpoint(), "--count", "200",
                                            "--name", "py", "--window", "50"});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(dropped);
    const auto log = journal.log();
    REQUIRE(log.size() == 200);
    for (std::size_t i = 0; i < log.size(); ++i) {
        CHECK(log[i].producer == "py");
        CHECK(log[i].seq == log[0].seq + i);
        CHECK(log[i].frames == frames_t{"py " + std::to_string(i)});
    }
    CHECK(result.err.find("acked 200 messages") != std::string::npos);
}

TEST_CASE("the Python producer resends after a journal restart and exits 0",
          "[journal][clients][python][restart]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    journal.with_state([](auto& state) { state.mute = true; }); // takes them, answers nothing
    child_process_t producer(ZD_PYTHON_PATH,
                             {std::string(ZD_PYTHON_EXAMPLES) + "/journal_producer.py",
                              "--endpoint", journal.endpoint(), "--count", "20", "--name", "py-r",
                              "--resend-after", "0.3"});
    REQUIRE(journal.wait_until([](auto& state) { return state.received.size() >= 20; }, 10s));
    journal.crash();
    journal.with_state([](auto& state) { state.mute = false; });
    journal.restart();
    const auto code = producer.wait_exit(20s);
    INFO(producer.stderr_text());
    REQUIRE(code);
    CHECK(*code == 0);
    CHECK(journal.log().size() == 20);
}

TEST_CASE("the Python producer exits non-zero when no ACK comes", "[journal][clients][python]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    journal.with_state([](auto& state) { state.mute = true; });
    const auto result = run_example("journal_producer.py",
                                    {"--endpoint", journal.endpoint(), "--count", "3", "--name",
                                     "silent", "--timeout", "1", "--resend-after", "0.3"});
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("no acknowledgement") != std::string::npos);
}

TEST_CASE("the Python producer gives up on a journal that stays away, even with a full queue",
          "[journal][clients][python][restart]") {
    // The journal is gone: the DEALER queues up to its high-water mark (1000) and no more.
    // The first round of 1000 fills the queue; the resend round after 0.3 s used to block in
    // send() for good, so --timeout never fired. Sends never wait now.
    zmq::context_t context;
    fake_journal_t journal(context);
    const std::string endpoint = journal.endpoint();
    journal.crash();
    const auto started = std::chrono::steady_clock::now();
    const auto result = run_example("journal_producer.py",
                                    {"--endpoint", endpoint, "--count", "1000", "--name", "away",
                                     "--timeout", "2", "--resend-after", "0.3"},
                                    15s);
    INFO(result.err);
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("no acknowledgement for 2.0 s: 0 of 1000") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - started < 10s);
}

TEST_CASE("the Python consumer prints and acks records, and the next run resumes",
          "[journal][clients][python]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    for (int i = 0; i < 30; ++i)
        journal.append({{"rec " + std::to_string(i), "x"}});

    auto result = run_example("journal_consumer.py", {"--endpoint", journal.endpoint(), "--name",
                                                      "pyc", "--count", "20", "--window", "8"});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    std::istringstream lines(result.out);
    std::string line;
    int expected = 0;
    while (std::getline(lines, line)) {
        CHECK(line == std::to_string(expected) + "\t" +
                          std::to_string(fake_journal_t::timestamp_of(expected)) + "\trec " +
                          std::to_string(expected) + "\tx");
        ++expected;
    }
    CHECK(expected == 20);
    REQUIRE(journal.wait_until([](auto& state) { return state.stored["pyc"] == 20; }));

    result = run_example("journal_consumer.py", {"--endpoint", journal.endpoint(), "--name", "pyc",
                                                 "--count", "10", "--quiet"});
    REQUIRE(result.exit_code == 0);
    CHECK(journal.wait_until([](auto& state) { return state.stored["pyc"] == 30; }));
}

TEST_CASE("the Python consumer exits non-zero when nothing comes or the SUB is refused",
          "[journal][clients][python]") {
    zmq::context_t context;
    fake_journal_t journal(context);
    auto result = run_example("journal_consumer.py",
                              {"--endpoint", journal.endpoint(), "--count", "1", "--timeout", "1"});
    CHECK(result.exit_code == 1);
    journal.append({{"a"}, {"b"}});
    journal.with_state([](auto& state) { state.first_retained = 1; });
    result = run_example("journal_consumer.py",
                         {"--endpoint", journal.endpoint(), "--count", "1", "--position", "0"});
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("404") != std::string::npos);
}
