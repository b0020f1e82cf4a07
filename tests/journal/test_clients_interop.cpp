// The client helpers (producer_t, consumer_t, reader_t) and the pyzmq examples against the
// real zd-journal. The other client tests use a fake journal written from the same frame
// tables as the clients, so only this shows the tables, the clients and the device agree.
//
//   producer_t ----------\                              /---> consumer_t          "cpp"
//                         >--> [frontend] zd-journal [backend] ---> journal_consumer.py "py"
//   journal_producer.py -/          --dir DIR      [replay] <--- reader_t
#include "child_process.hpp"
#include "journal/client/consumer.hpp"
#include "journal/client/producer.hpp"
#include "journal/client/reader.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <sstream>

using namespace zd::test;
using namespace zd::journal;
using namespace std::chrono_literals;

namespace {

run_result_t run_example(const std::string& script, const std::vector<std::string>& args) {
    std::vector<std::string> all{std::string(ZD_PYTHON_EXAMPLES) + "/" + script};
    all.insert(all.end(), args.begin(), args.end());
    return run_to_completion(ZD_PYTHON_PATH, all, 20s);
}

// The frames each producer sends: 300 two-frame messages from C++, then 200 one-frame
// messages from Python (its body is "<name> <index>").
frames_t expected_frames(std::uint64_t offset) {
    if (offset < 300) return {"cpp " + std::to_string(offset), ""};
    return {"py-producer " + std::to_string(offset - 300)};
}

} // namespace

TEST_CASE("the C++ clients and the Python examples agree with the real zd-journal",
          "[journal][clients][interop][python]") {
    temp_dir_t dir;
    child_process_t journal(ZD_JOURNAL_DEVICE,
                            {"--dir", dir.file("journal"), "--frontend", "@tcp://127.0.0.1:*",
                             "--backend", "@tcp://127.0.0.1:*", "--replay", "@tcp://127.0.0.1:*"});
    const auto ready = journal.wait_ready(10s);
    const std::string frontend = ready.address("frontend");
    const std::string backend = ready.address("backend");
    const std::string replay = ready.address("replay");
    zmq::context_t context;

    // Producers: every message acknowledged, none NACKed (nothing was lost on the way).
    {
        producer_t producer(context, frontend, "cpp-producer");
        for (int i = 0; i < 300; ++i)
            producer.send({"cpp " + std::to_string(i), ""}); // an empty frame is a frame
        REQUIRE(producer.flush(10s));
        CHECK(producer.acked() == producer.last_seq());
        CHECK(producer.nacks() == 0);
        CHECK(producer.malformed() == 0);
    }
    auto result = run_example("journal_producer.py",
                              {"--endpoint", frontend, "--count", "200", "--name", "py-producer"});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(result.err.find("acked 200 messages") != std::string::npos);

    // consumer_t from the earliest record: all 500, in order, frames exact.
    {
        consumer_t consumer(context, backend, "cpp", "earliest", 64);
        for (std::uint64_t offset = 0; offset < 500; ++offset) {
            const auto record = consumer.receive(5s);
            REQUIRE(record);
            REQUIRE(record->offset == offset);
            CHECK(record->frames == expected_frames(offset));
            consumer.ack(offset);
        }
        CHECK_FALSE(consumer.receive(100ms));
        CHECK(consumer.malformed() == 0);
    }

    // The Python consumer prints the same records; a second run resumes after its ACKs.
    result = run_example("journal_consumer.py",
                         {"--endpoint", backend, "--name", "py", "--count", "300"});
    REQUIRE(result.exit_code == 0);
    std::istringstream lines(result.out);
    std::string line;
    std::uint64_t offset = 0;
    while (std::getline(lines, line)) {
        const auto frames = expected_frames(offset);
        std::string text = frames[0];
        for (std::size_t i = 1; i < frames.size(); ++i)
            text += "\t" + frames[i];
        INFO(line);
        CHECK(line.rfind(std::to_string(offset) + "\t", 0) == 0);
        CHECK(line.size() > text.size());
        CHECK(line.substr(line.size() - text.size()) == text);
        ++offset;
    }
    CHECK(offset == 300);
    result = run_example("journal_consumer.py",
                         {"--endpoint", backend, "--name", "py", "--count", "200"});
    REQUIRE(result.exit_code == 0);
    CHECK(result.out.rfind("300\t", 0) == 0); // the stored position: after the last ACK

    // reader_t pages through the same 500 records like a tape.
    reader_t reader(context, replay);
    std::uint64_t next = 0;
    std::size_t pages = 0;
    while (true) {
        const auto page = reader.read(next, 200, 5s);
        REQUIRE(page);
        if (page->records.empty()) break;
        for (const auto& record : page->records) {
            REQUIRE(record.offset == next);
            CHECK(record.frames == expected_frames(next));
            ++next;
        }
        CHECK(page->next_offset == next);
        ++pages;
    }
    CHECK(next == 500);
    CHECK(pages == 3);

    journal.send_signal(SIGTERM);
    CHECK(journal.wait_exit(10s) == 0);
}

TEST_CASE("consumer_t with origin gets each record's producer id and seq from the real journal",
          "[journal][clients][interop][link]") {
    temp_dir_t dir;
    child_process_t journal(ZD_JOURNAL_DEVICE,
                            {"--dir", dir.file("journal"), "--frontend", "@tcp://127.0.0.1:*",
                             "--backend", "@tcp://127.0.0.1:*"});
    const auto ready = journal.wait_ready(10s);
    zmq::context_t context;
    producer_options_t producer_options;
    producer_options.first_seq = 41;
    producer_t producer(context, ready.address("frontend"), "origin-producer", producer_options);
    producer.send({"a"});
    producer.send({"b"});
    REQUIRE(producer.flush(10s));

    consumer_options_t with_origin;
    with_origin.origin = true;
    consumer_t consumer(context, ready.address("backend"), "link", "earliest", 10, with_origin);
    for (std::uint64_t seq : {41u, 42u}) {
        const auto record = consumer.receive(5s);
        REQUIRE(record);
        CHECK(record->producer_id == "origin-producer");
        CHECK(record->producer_seq == seq);
    }
    // Without the opt-in: the two-token REC, no producer fields.
    consumer_t plain(context, ready.address("backend"), "plain", "earliest", 10);
    const auto record = plain.receive(5s);
    REQUIRE(record);
    CHECK(record->producer_id.empty());
    CHECK(record->producer_seq == 0);
    CHECK(plain.malformed() == 0);
}
