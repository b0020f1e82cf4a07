// Records with an authenticated identity through the whole log: appended beside records
// without one, read back by cursors after a reopen (recovery, offset index), a torn tail cut
// at every byte of identity records, --repair keeping the identities of the sound records
// around a damaged one, and zd-journal-tool dump showing them in text and JSON.
#include "journal/log.hpp"

#include "child_process.hpp"
#include "journal/segment.hpp"
#include "journal_test_util.hpp"

#include <catch2/catch.hpp>

using namespace zd::journal;
using namespace zd::journal::test;
using zd::test::run_to_completion;
namespace fs = std::filesystem;

namespace {

const std::string key_a = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
const std::string key_b = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";

// Record i: every third from nobody (a plain frontend's), the others from key_a (named
// "hub-a") or key_b (no name). Returns each record's end position in the one segment.
std::vector<std::uint64_t> write_mixed(const std::string& dir, std::uint64_t count) {
    log_t log(options_for(dir));
    std::vector<std::uint64_t> ends;
    for (std::uint64_t i = 0; i < count; ++i) {
        const std::string body = payload(i, 20 + (i * 37) % 150);
        const std::string_view frame = body;
        record_identity_t identity;
        if (i % 3 == 1) identity = {key_a, "hub-a"};
        if (i % 3 == 2) identity = {key_b, ""};
        REQUIRE(
            log.append("producer", i + 1, std::span<const std::string_view>(&frame, 1), identity));
        REQUIRE(log.commit().status == io_status::ok);
        ends.push_back(log.size_bytes());
    }
    return ends;
}

// "offset:user id:name" of every record from offset on.
std::vector<std::string> identities(const log_t& log, std::uint64_t from = 0) {
    std::vector<std::string> out;
    auto cursor = log.open_cursor(from);
    while (auto record = cursor->next())
        out.push_back(std::to_string(record->meta.offset) + ":" +
                      std::string(record->meta.identity.user_id) + ":" +
                      std::string(record->meta.identity.name));
    return out;
}

std::string expected_identity(std::uint64_t i) {
    if (i % 3 == 1) return std::to_string(i) + ":" + key_a + ":hub-a";
    if (i % 3 == 2) return std::to_string(i) + ":" + key_b + ":";
    return std::to_string(i) + "::";
}

std::string first_segment(const std::string& dir) {
    return (fs::path(dir) / segment_file_name(0)).string();
}

} // namespace

TEST_CASE("identity log: records keep their identity across a reopen, old and new mixed",
          "[journal][identity]") {
    zd::test::temp_dir_t dir;
    write_mixed(dir.path(), 300); // more than one index interval (64 records)
    log_t log(options_for(dir.path()));
    CHECK(log.recovery().records == 300);
    const auto all = identities(log);
    REQUIRE(all.size() == 300);
    for (std::uint64_t i = 0; i < 300; ++i)
        REQUIRE(all[i] == expected_identity(i));
    // A cursor placed through the index lands on the right record.
    CHECK(identities(log, 200).front() == expected_identity(200));
    CHECK(identities(log, 299).front() == expected_identity(299));
    // The identity is not the producer: dedup still keys on the producer id.
    CHECK(log.producer("producer")->last_seq == 300);
}

TEST_CASE("identity log: a torn tail inside identity records is cut to the complete ones",
          "[journal][identity]") {
    zd::test::temp_dir_t source;
    const auto ends = write_mixed(source.path(), 6);
    const std::string whole = read_file(first_segment(source.path()));
    zd::test::temp_dir_t dir;
    const auto segment = first_segment(dir.path());
    for (std::uint64_t size = ends[3]; size < whole.size(); ++size) {
        write_file(segment, whole.substr(0, size));
        const auto complete =
            std::uint64_t(std::upper_bound(ends.begin(), ends.end(), size) - ends.begin());
        INFO("cut at " << size);
        log_t log(options_for(dir.path()));
        REQUIRE(log.next_offset() == complete);
        REQUIRE(fs::file_size(segment) == ends[complete - 1]);
        REQUIRE(identities(log).back() == expected_identity(complete - 1));
    }
}

TEST_CASE("identity log: --repair quarantines a damaged identity record and keeps the "
          "identities around it",
          "[journal][identity]") {
    zd::test::temp_dir_t dir;
    const auto ends = write_mixed(dir.path(), 100);
    const auto segment = first_segment(dir.path());
    std::string bytes = read_file(segment);
    // Record 43 (from key_a): damage its user id, right after the header, the producer id's
    // length byte and "producer", and its own length byte.
    const std::uint64_t user_id_at = ends[42] + record_header_size + 1 + 8 + 1;
    bytes[user_id_at + 5] ^= 0x20;
    write_file(segment, bytes);
    CHECK_THROWS_AS(log_t(options_for(dir.path())), corruption_error);

    auto options = options_for(dir.path());
    options.repair = true;
    log_t log(options);
    REQUIRE(log.recovery().damaged_records.size() == 1);
    CHECK(log.recovery().damaged_records[0].first == 43);
    const auto all = identities(log);
    REQUIRE(all.size() == 99);
    for (std::uint64_t i = 0, at = 0; i < 100; ++i)
        if (i != 43) REQUIRE(all[at++] == expected_identity(i));
}

TEST_CASE("zd-journal-tool dump shows who sent each record, in text and JSON",
          "[journal][identity][tool]") {
    zd::test::temp_dir_t dir;
    write_mixed(dir.path(), 3);
    const std::string tool = ZD_JOURNAL_TOOL;
    auto result = run_to_completion(tool, {"dump", dir.path()});
    REQUIRE(result.exit_code == 0);
    const auto lines = [](const std::string& text) {
        std::vector<std::string> heads;
        std::istringstream in(text);
        for (std::string line; std::getline(in, line);)
            if (!line.starts_with("  ")) heads.push_back(line); // record lines, not frames
        return heads;
    }(result.out);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0].find("identity=") == std::string::npos); // none: nothing printed
    CHECK(lines[1].find(" seq=2 identity=\"" + key_a + "\" name=\"hub-a\" frames=1") !=
          std::string::npos);
    CHECK(lines[2].find(" seq=3 identity=\"" + key_b + "\" frames=1") != std::string::npos);

    result = run_to_completion(tool, {"dump", dir.path(), "--format", "json"});
    REQUIRE(result.exit_code == 0);
    CHECK(result.out.find("\"seq\":1,\"identity\":null,") != std::string::npos);
    CHECK(result.out.find("\"seq\":2,\"identity\":{\"user_id\":\"" + key_a +
                          "\",\"name\":\"hub-a\"},") != std::string::npos);
    CHECK(result.out.find("\"seq\":3,\"identity\":{\"user_id\":\"" + key_b +
                          "\",\"name\":null},") != std::string::npos);
}
