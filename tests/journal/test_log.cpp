// The log: group commit, reopen, segment rolls, cursors across segments and retention,
// offset_for_time, dedup state rebuilt from the records, the directory lock.
#include "journal/log.hpp"

#include "journal/segment.hpp"
#include "journal_test_util.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace zd::journal;
using namespace zd::journal::test;
namespace fs = std::filesystem;

TEST_CASE("log: append is pending until commit, offsets are dense from 0", "[journal][log]") {
    zd::test::temp_dir_t dir;
    log_t log(options_for(dir.path()));
    CHECK(log.first_offset() == 0);
    CHECK(log.next_offset() == 0);
    CHECK(log.recovery().records == 0);
    const std::string_view frames[] = {"a", "", "ccc"};
    CHECK(log.append("p", 1, frames) == 0u);
    CHECK(log.append("p", 2, frames) == 1u);
    CHECK(log.pending_records() == 2);
    CHECK(log.pending_bytes() == 2 * encoded_record_size("p", frames));
    CHECK(log.durable_next() == 0);
    CHECK(read_all(log).empty()); // cursors see committed records only
    const auto result = log.commit();
    CHECK(result.status == io_status::ok);
    CHECK(result.durable_next == 2);
    CHECK(log.durable_next() == 2);
    CHECK(log.pending_records() == 0);
    CHECK(log.size_bytes() == 2 * encoded_record_size("p", frames));
    auto cursor = log.open_cursor(0);
    auto record = cursor->next();
    REQUIRE(record);
    CHECK(record->meta.producer_id == "p");
    CHECK(record->meta.producer_seq == 1);
    REQUIRE(record->frames.size() == 3);
    CHECK(record->frames[2] == "ccc");
    CHECK(cursor->position() == 1);
    CHECK(cursor->next());
    CHECK_FALSE(cursor->next());
    CHECK(log.commit().status == io_status::ok); // nothing pending: ok, no-op
}

TEST_CASE("log: refuses records above max_record_body", "[journal][log]") {
    zd::test::temp_dir_t dir;
    auto options = options_for(dir.path());
    options.max_record_body = 100;
    log_t log(options);
    const std::string big(200, 'x');
    const std::string_view frame = big;
    CHECK_FALSE(log.append({}, 0, std::span<const std::string_view>(&frame, 1)));
    CHECK(log.pending_records() == 0);
    CHECK(log.next_offset() == 0);
}

TEST_CASE("log: records survive reopen, segments roll and cursors cross them", "[journal][log]") {
    zd::test::temp_dir_t dir;
    auto options = options_for(dir.path());
    options.segment_bytes = 4096;
    std::vector<std::string> expected;
    {
        log_t log(options);
        for (std::uint64_t i = 0; i < 200; ++i) {
            append_one(log, payload(i, 100));
            expected.push_back(std::to_string(i) + ":" + payload(i, 100));
        }
        CHECK(read_all(log) == expected);
    }
    const auto files = list_segment_files(dir.path());
    REQUIRE(files.size() > 4);
    CHECK(files[0].path.filename() == "00000000000000000000.seg");
    {
        log_t log(options);
        CHECK(log.recovery().records == 200);
        CHECK(log.recovery().segments == files.size());
        CHECK(log.recovery().torn_bytes_cut == 0);
        CHECK(log.next_offset() == 200);
        CHECK(read_all(log) == expected);
        // A cursor opened anywhere starts exactly there.
        for (std::uint64_t from : {1ull, 37ull, 38ull, 39ull, 150ull, 199ull}) {
            const auto tail = read_all(log, from);
            REQUIRE(tail.size() == 200 - from);
            CHECK(tail.front() == expected[from]);
        }
        CHECK(read_all(log, 500).empty()); // clamped to durable_next
        // A cursor at the end sees later commits, in the segments that roll meanwhile.
        auto cursor = log.open_cursor(200);
        CHECK_FALSE(cursor->next());
        for (std::uint64_t i = 200; i < 300; ++i)
            append_one(log, payload(i, 100));
        std::uint64_t seen = 200;
        while (auto record = cursor->next()) {
            REQUIRE(record->meta.offset == seen);
            REQUIRE(record->frames[0] == payload(seen, 100));
            ++seen;
        }
        CHECK(seen == 300);
    }
}

TEST_CASE("log: a batch larger than a segment continues in new segments", "[journal][log]") {
    zd::test::temp_dir_t dir;
    auto options = options_for(dir.path());
    options.segment_bytes = 4096;
    log_t log(options);
    const std::string body(1000, 'b');
    const std::string_view frame = body;
    const auto record_size = encoded_record_size({}, std::span<const std::string_view>(&frame, 1));
    for (int i = 0; i < 20; ++i)
        REQUIRE(log.append({}, 0, std::span<const std::string_view>(&frame, 1)));
    const auto result = log.commit();
    REQUIRE(result.status == io_status::ok);
    CHECK(result.durable_next == 20);
    // A segment takes records while it has not passed 4096 bytes: 4 of 1045 bytes each.
    auto files = list_segment_files(dir.path());
    REQUIRE(files.size() == 5);
    for (std::size_t i = 0; i < files.size(); ++i) {
        CHECK(files[i].first_offset == 4 * i);
        CHECK(std::filesystem::file_size(files[i].path) == 4 * record_size);
    }
    REQUIRE(log.append({}, 0, std::span<const std::string_view>(&frame, 1)));
    REQUIRE(log.commit().status == io_status::ok);
    files = list_segment_files(dir.path());
    REQUIRE(files.size() == 6);
    CHECK(files[5].first_offset == 20);
    CHECK(read_all(log).size() == 21);
}

TEST_CASE("log: retention by bytes never deletes the active segment or what is still needed",
          "[journal][log]") {
    zd::test::temp_dir_t dir;
    auto options = options_for(dir.path());
    options.segment_bytes = 4096;
    options.retain_bytes = 10000;
    log_t log(options);
    for (std::uint64_t i = 0; i < 400; ++i)
        append_one(log, payload(i, 100));
    const auto before = list_segment_files(dir.path()).size();
    REQUIRE(before > 8);
    auto old_cursor = log.open_cursor(0);
    REQUIRE(old_cursor->next()); // now at 1
    // A consumer still needs offset 0: nothing goes.
    CHECK(log.apply_retention(0, std::chrono::system_clock::now()) == 0);
    CHECK(log.first_offset() == 0);
    // Everything is consumed: delete down to the byte limit.
    const auto deleted = log.apply_retention(log.durable_next(), std::chrono::system_clock::now());
    CHECK(deleted > 0);
    CHECK(list_segment_files(dir.path()).size() == before - deleted);
    CHECK(log.size_bytes() <= options.retain_bytes);
    CHECK(log.first_offset() > 0);
    CHECK(read_all(log).size() == 400 - log.first_offset());
    // The old cursor's record is gone: nullopt once, then it continues from first_offset.
    CHECK_FALSE(old_cursor->next());
    CHECK(old_cursor->position() == log.first_offset());
    auto record = old_cursor->next();
    REQUIRE(record);
    CHECK(record->meta.offset == log.first_offset());
    // Limits far away keep everything; the active segment is never deleted.
    for (int i = 0; i < 3; ++i)
        log.apply_retention(~0ull, std::chrono::system_clock::now() + std::chrono::hours(1000));
    CHECK(list_segment_files(dir.path()).size() >= 1);
    CHECK(log.durable_next() == 400);
    append_one(log, "after retention");
    CHECK(read_all(log, 400) == std::vector<std::string>{"400:after retention"});
}

TEST_CASE("log: retention by age", "[journal][log]") {
    zd::test::temp_dir_t dir;
    auto options = options_for(dir.path());
    options.segment_bytes = 4096;
    options.retain_age = std::chrono::seconds(60);
    log_t log(options);
    for (std::uint64_t i = 0; i < 100; ++i)
        append_one(log, payload(i, 100));
    const auto now = std::chrono::system_clock::now();
    CHECK(log.apply_retention(~0ull, now) == 0); // all young
    const auto segments = list_segment_files(dir.path()).size();
    CHECK(log.apply_retention(~0ull, now + std::chrono::seconds(120)) == segments - 1);
    CHECK(list_segment_files(dir.path()).size() == 1);
    // Reopen: the log starts at the surviving segment.
    const auto first = log.first_offset();
    CHECK(first > 0);
}

TEST_CASE("log: after retention a reopened log starts at the oldest kept segment",
          "[journal][log]") {
    zd::test::temp_dir_t dir;
    auto options = options_for(dir.path());
    options.segment_bytes = 4096;
    options.retain_bytes = 5000;
    std::uint64_t first = 0;
    {
        log_t log(options);
        for (std::uint64_t i = 0; i < 100; ++i)
            append_one(log, payload(i, 100));
        log.apply_retention(~0ull, std::chrono::system_clock::now());
        first = log.first_offset();
        REQUIRE(first > 0);
    }
    log_t log(options);
    CHECK(log.first_offset() == first);
    CHECK(log.next_offset() == 100);
    CHECK(read_all(log).front() == std::to_string(first) + ":" + payload(first, 100));
}

TEST_CASE("log: timestamps are monotonic and offset_for_time finds the first record at a time",
          "[journal][log]") {
    zd::test::temp_dir_t dir;
    auto options = options_for(dir.path());
    options.segment_bytes = 4096;
    log_t log(options);
    CHECK(log.offset_for_time(0) == 0); // empty log
    std::vector<std::int64_t> stamps;
    for (std::uint64_t i = 0; i < 300; ++i) {
        append_one(log, payload(i, 60));
        if (i % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    auto cursor = log.open_cursor(0);
    while (auto record = cursor->next())
        stamps.push_back(record->meta.timestamp_ns);
    REQUIRE(stamps.size() == 300);
    CHECK(std::is_sorted(stamps.begin(), stamps.end()));
    CHECK(log.offset_for_time(0) == 0);
    CHECK(log.offset_for_time(stamps.back() + 1) == 300);
    for (std::size_t i : {0ul, 1ul, 49ul, 50ul, 51ul, 120ul, 151ul, 299ul}) {
        const auto expected =
            std::size_t(std::lower_bound(stamps.begin(), stamps.end(), stamps[i]) - stamps.begin());
        CHECK(log.offset_for_time(stamps[i]) == expected);
        const auto after =
            std::size_t(std::upper_bound(stamps.begin(), stamps.end(), stamps[i]) - stamps.begin());
        CHECK(log.offset_for_time(stamps[i] + 1) == after);
    }
}

TEST_CASE("log: dedup state is kept per producer and rebuilt after reopen", "[journal][log]") {
    zd::test::temp_dir_t dir;
    auto options = options_for(dir.path());
    {
        log_t log(options);
        CHECK(log.producer("a") == nullptr);
        append_one(log, "x", "a", 5);
        append_one(log, "x", "b", 7);
        append_one(log, "x", "a", 9);
        append_one(log, "x", "", 100); // anonymous: no state
        REQUIRE(log.producer("a"));
        CHECK(log.producer("a")->last_seq == 9);
        CHECK(log.producer("") == nullptr);
        // Pending records count too (a resend before the commit is still a duplicate).
        const std::string_view frame = "y";
        REQUIRE(log.append("b", 8, std::span<const std::string_view>(&frame, 1)));
        CHECK(log.producer("b")->last_seq == 8);
        REQUIRE(log.commit().status == io_status::ok);
    }
    log_t log(options);
    REQUIRE(log.producer("a"));
    CHECK(log.producer("a")->last_seq == 9);
    REQUIRE(log.producer("b"));
    CHECK(log.producer("b")->last_seq == 8);
    CHECK(log.producer("c") == nullptr);
}

TEST_CASE("log: dedup state is bounded, the least recently seen producer goes first",
          "[journal][log]") {
    zd::test::temp_dir_t dir;
    auto options = options_for(dir.path());
    options.max_producers = 3;
    {
        log_t log(options);
        append_one(log, "x", "p1", 1);
        append_one(log, "x", "p2", 1);
        append_one(log, "x", "p3", 1);
        append_one(log, "x", "p1", 2); // p1 seen again: p2 is now the oldest
        append_one(log, "x", "p4", 1);
        CHECK(log.producer("p2") == nullptr);
        CHECK(log.producer("p1"));
        CHECK(log.producer("p3"));
        CHECK(log.producer("p4"));
    }
    log_t log(options); // the same after recovery
    CHECK(log.producer("p2") == nullptr);
    CHECK(log.producer("p1")->last_seq == 2);
}

TEST_CASE("log: a second log on the same directory is refused with a clear error",
          "[journal][log]") {
    zd::test::temp_dir_t dir;
    log_t first(options_for(dir.path()));
    try {
        log_t second(options_for(dir.path()));
        FAIL("second log opened");
    } catch (const std::system_error& error) {
        CHECK(std::string(error.what()).find("in use by another process") != std::string::npos);
    }
}

TEST_CASE("log: bad options are refused", "[journal][log]") {
    zd::test::temp_dir_t dir;
    auto options = options_for(dir.path());
    options.segment_bytes = 10;
    CHECK_THROWS_AS(log_t(options), std::invalid_argument);
    options = options_for(dir.path());
    options.max_record_body = max_record_body + 1;
    CHECK_THROWS_AS(log_t(options), std::invalid_argument);
    CHECK_THROWS_AS(log_t(log_options_t{}), std::invalid_argument);
}

TEST_CASE("log: every fsync policy stores the same records", "[journal][log]") {
    for (auto policy :
         {fsync_policy::always, fsync_policy::batch, fsync_policy::interval, fsync_policy::never}) {
        zd::test::temp_dir_t dir;
        auto options = options_for(dir.path());
        options.policy = policy;
        options.sync_interval = std::chrono::milliseconds(1);
        options.segment_bytes = 4096;
        {
            log_t log(options);
            for (std::uint64_t i = 0; i < 100; ++i)
                append_one(log, payload(i, 80));
        }
        log_t log(options);
        CHECK(log.next_offset() == 100);
        CHECK(read_all(log).size() == 100);
    }
}
