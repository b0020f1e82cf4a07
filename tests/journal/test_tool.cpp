// zd-journal-tool against real journal directories: verify's verdicts and exit codes, dump's
// formats, tail following records across a segment roll, usage errors.
#include "journal/log.hpp"

#include "child_process.hpp"
#include "journal/segment.hpp"
#include "journal_test_util.hpp"

#include <catch2/catch.hpp>

using namespace zd::journal;
using namespace zd::journal::test;
using zd::test::run_to_completion;
using namespace std::chrono_literals;

namespace {

const std::string tool = ZD_JOURNAL_TOOL;

std::size_t count_lines(const std::string& text) {
    return std::size_t(std::count(text.begin(), text.end(), '\n'));
}

} // namespace

// Issue 12: verify said "verify: ok" on any directory, a journal or not.
TEST_CASE("zd-journal-tool verify: a directory that is not a journal is an error",
          "[journal][tool]") {
    zd::test::temp_dir_t dir;
    SECTION("an empty directory") {
        const auto result = run_to_completion(tool, {"verify", dir.path()});
        CHECK(result.exit_code == 1);
        CHECK(result.out.find("verify: ok") == std::string::npos);
        CHECK(result.err.find("not a journal directory") != std::string::npos);
        CHECK(result.err.find("no segment files") != std::string::npos);
    }
    SECTION("a directory of other files") {
        write_file(dir.file("notes.txt"), "hello");
        const auto result = run_to_completion(tool, {"verify", dir.path()});
        CHECK(result.exit_code == 1);
        CHECK(result.err.find("not a journal directory") != std::string::npos);
    }
    SECTION("a path that does not exist, or is a file") {
        auto result = run_to_completion(tool, {"verify", dir.file("missing")});
        CHECK(result.exit_code == 1);
        CHECK(result.err.find("does not exist") != std::string::npos);
        write_file(dir.file("plain"), "x");
        result = run_to_completion(tool, {"verify", dir.file("plain")});
        CHECK(result.exit_code == 1);
        CHECK(result.err.find("not a directory") != std::string::npos);
    }
}

TEST_CASE("zd-journal-tool verify: ok on a sound journal, exit 1 naming the damage",
          "[journal][tool]") {
    zd::test::temp_dir_t dir;
    {
        log_t log(options_for(dir.path()));
        for (int i = 0; i < 5; ++i)
            append_one(log, payload(std::uint64_t(i), 50), "p", std::uint64_t(i) + 1);
    }
    auto result = run_to_completion(tool, {"verify", dir.path()});
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("records: 5") != std::string::npos);
    CHECK(result.out.find("verify: ok") != std::string::npos);

    const auto segment = dir.file(segment_file_name(0));
    std::string bytes = read_file(segment);
    SECTION("a torn tail is reported, not damage") {
        write_file(segment, bytes + "torn");
        result = run_to_completion(tool, {"verify", dir.path()});
        CHECK(result.exit_code == 0);
        CHECK(result.out.find("torn tail") != std::string::npos);
    }
    SECTION("a flipped bit before the last record is damage") {
        bytes[60] ^= 4;
        write_file(segment, bytes);
        result = run_to_completion(tool, {"verify", dir.path()});
        CHECK(result.exit_code == 1);
        CHECK(result.out.find("DAMAGE: " + segment + ": byte 0") != std::string::npos);
    }
    SECTION("damaged consumer offsets are damage") {
        write_file(dir.file("consumers"), "ZDC1garbage");
        result = run_to_completion(tool, {"verify", dir.path()});
        CHECK(result.exit_code == 1);
        CHECK(result.out.find("consumers is damaged") != std::string::npos);
    }
}

TEST_CASE("zd-journal-tool dump: text, hex and JSON with offsets and timestamps",
          "[journal][tool]") {
    zd::test::temp_dir_t dir;
    {
        log_t log(options_for(dir.path()));
        const std::string_view frames[] = {"hello", std::string_view("\x00\x01", 2), ""};
        for (int i = 0; i < 4; ++i)
            REQUIRE(log.append("producer-1", std::uint64_t(i) + 10, frames));
        REQUIRE(log.commit().status == io_status::ok);
    }
    auto result = run_to_completion(tool, {"dump", dir.path()});
    REQUIRE(result.exit_code == 0);
    CHECK(result.out.rfind("0 20", 0) == 0); // offset, then an ISO time in this century
    CHECK(result.out.find("producer=\"producer-1\" seq=10 frames=3") != std::string::npos);
    CHECK(result.out.find("[0] 5 B \"hello\"") != std::string::npos);
    CHECK(result.out.find("[1] 2 B \"\\x00\\x01\"") != std::string::npos);

    result = run_to_completion(
        tool, {"dump", dir.path(), "--format", "json", "--from", "1", "--count", "2"});
    REQUIRE(result.exit_code == 0);
    CHECK(count_lines(result.out) == 2);
    CHECK(result.out.rfind("{\"offset\":1,\"timestamp_ns\":", 0) == 0);
    CHECK(result.out.find("\"frames\":[\"hello\",\"\\u0000\\u0001\",\"\"]") != std::string::npos);

    result = run_to_completion(tool, {"dump", dir.path(), "--format", "hex", "--count", "1"});
    REQUIRE(result.exit_code == 0);
    CHECK(result.out.find("68 65 6c 6c 6f") != std::string::npos);
    CHECK(result.out.find("|hello|") != std::string::npos);
}

TEST_CASE("zd-journal-tool tail follows new records across a segment roll", "[journal][tool]") {
    zd::test::temp_dir_t dir;
    auto options = options_for(dir.path());
    options.segment_bytes = 4096;
    log_t log(options);
    append_one(log, payload(0, 1500));
    append_one(log, payload(1, 1500));
    zd::test::child_process_t tail(
        tool, {"tail", dir.path(), "--from", "1", "--count", "5", "--format", "json"});
    // Offset 1 is there already; 2..5 arrive while tail runs, in new segments.
    for (std::uint64_t i = 2; i < 6; ++i)
        append_one(log, payload(i, 1500));
    REQUIRE(list_segment_files(dir.path()).size() >= 2);
    REQUIRE(tail.wait_exit(10s) == 0);
    const auto& out = tail.stdout_text();
    CHECK(count_lines(out) == 5);
    for (int i = 1; i < 6; ++i)
        CHECK(out.find("{\"offset\":" + std::to_string(i) + ",") != std::string::npos);
}

TEST_CASE("zd-journal-tool: usage errors exit 2", "[journal][tool]") {
    CHECK(run_to_completion(tool, {}).exit_code == 2);
    CHECK(run_to_completion(tool, {"frobnicate", "/tmp"}).exit_code == 2);
    const auto result = run_to_completion(tool, {"dump", "/tmp", "--from", "-3"});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("bad offset '-3'") != std::string::npos);
    CHECK(run_to_completion(tool, {"verify", "/nonexistent/journal"}).exit_code == 1);
}
