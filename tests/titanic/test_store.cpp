// Titanic's store over a real journal directory: what a restart recovers, what retention
// deletes and copies forward, and the 9/TSP validation rules. [titanic]
#include "temp_dir.hpp"
#include "titanic/store.hpp"
#include "titanic/tsp.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace zd::titanic;
using frames_t = std::vector<std::string>;

namespace {

zd::journal::log_options_t options_for(const zd::test::temp_dir_t& dir,
                                       std::uint64_t segment_bytes = 64 * 1024 * 1024) {
    zd::journal::log_options_t options;
    options.dir = dir.file("titanic");
    options.segment_bytes = segment_bytes;
    options.max_record_body = 64 * 1024;
    return options;
}

std::string request(store_t& store, const frames_t& frames) {
    const std::vector<std::string_view> views(frames.begin(), frames.end());
    auto uuid = store.add_request(views);
    REQUIRE(uuid);
    return *uuid;
}

bool reply(store_t& store, const std::string& uuid, const frames_t& frames) {
    const std::vector<std::string_view> views(frames.begin(), frames.end());
    return store.add_reply(uuid, views);
}

void commit(store_t& store) {
    REQUIRE(store.commit().status == zd::journal::io_status::ok);
}

} // namespace

TEST_CASE("a request is pending, then replied, then unknown once closed", "[titanic]") {
    zd::test::temp_dir_t dir;
    store_t store(options_for(dir));
    const auto uuid = request(store, {"echo", "hello", ""});
    CHECK(uuid.size() == 32);
    commit(store);
    frames_t out;
    CHECK(store.read_reply(uuid, out) == reply_status::pending);
    REQUIRE(store.pending_request(uuid) != nullptr);
    CHECK(*store.pending_request(uuid) == frames_t{"echo", "hello", ""});
    CHECK(reply(store, uuid, {"hello", ""}));
    CHECK_FALSE(reply(store, uuid, {"second"})); // the first reply stands
    commit(store);
    CHECK(store.read_reply(uuid, out) == reply_status::replied);
    CHECK(out == frames_t{"hello", ""});
    CHECK(store.pending_request(uuid) == nullptr);
    CHECK(store.close(uuid));
    CHECK_FALSE(store.close(uuid));
    commit(store);
    CHECK(store.read_reply(uuid, out) == reply_status::unknown);
    CHECK(store.pending_count() == 0);
    CHECK(store.replied_count() == 0);
}

TEST_CASE("a restart recovers pending and replied requests and forgets closed ones", "[titanic]") {
    zd::test::temp_dir_t dir;
    std::string pending, replied, closed, closed_pending;
    {
        store_t store(options_for(dir));
        pending = request(store, {"svc", "p"});
        replied = request(store, {"svc", "r"});
        closed = request(store, {"svc", "c"});
        closed_pending = request(store, {"svc", "cp"});
        CHECK(reply(store, replied, {"R1", "R2"}));
        CHECK(reply(store, closed, {"C"}));
        CHECK(store.close(closed));
        CHECK(store.close(closed_pending));
        commit(store);
        // Appended but never committed: as if killed before the fdatasync.
        request(store, {"svc", "lost"});
    }
    store_t store(options_for(dir));
    CHECK(store.recovery().pending == 1);
    CHECK(store.recovery().replied == 1);
    CHECK(store.pending_uuids() == std::vector<std::string>{pending});
    frames_t out;
    CHECK(store.read_reply(replied, out) == reply_status::replied);
    CHECK(out == frames_t{"R1", "R2"});
    CHECK(store.read_reply(closed, out) == reply_status::unknown);
    CHECK(store.read_reply(closed_pending, out) == reply_status::unknown);
    CHECK(store.read_reply(pending, out) == reply_status::pending);
}

TEST_CASE("a reply larger than the record limit closes its request", "[titanic]") {
    zd::test::temp_dir_t dir;
    store_t store(options_for(dir));
    const auto uuid = request(store, {"svc", "x"});
    CHECK_FALSE(reply(store, uuid, {std::string(100 * 1024, 'r')}));
    CHECK(store.oversized_replies() == 1);
    commit(store);
    frames_t out;
    CHECK(store.read_reply(uuid, out) == reply_status::unknown);
}

TEST_CASE("retention deletes closed garbage and copies pinning records forward", "[titanic]") {
    zd::test::temp_dir_t dir;
    std::string kept, waiting;
    const std::string filler(300, 'f');
    {
        store_t store(options_for(dir, 4096));
        kept = request(store, {"svc", "kept"});
        CHECK(reply(store, kept, {"kept-reply", filler}));
        waiting = request(store, {"svc", "waiting", filler});
        commit(store);
        for (int i = 0; i < 300; ++i) {
            const auto uuid = request(store, {"svc", filler});
            CHECK(reply(store, uuid, {filler}));
            CHECK(store.close(uuid));
            commit(store);
        }
        const auto before = store.log().size_bytes();
        std::size_t deleted = 0;
        for (int round = 0; round < 5; ++round) { // delete, copy, commit, delete the rest
            deleted += store.apply_retention(std::chrono::system_clock::now());
            commit(store);
        }
        CHECK(deleted > 10);
        CHECK(store.copied_forward() >= 2);
        CHECK(store.log().size_bytes() < before / 4);
        CHECK(store.keep_from() > 2);
        frames_t out;
        CHECK(store.read_reply(kept, out) == reply_status::replied);
        CHECK(out == frames_t{"kept-reply", filler});
    }
    store_t store(options_for(dir, 4096));
    frames_t out;
    CHECK(store.read_reply(kept, out) == reply_status::replied);
    CHECK(out == frames_t{"kept-reply", filler});
    CHECK(store.pending_uuids() == std::vector<std::string>{waiting});
    REQUIRE(store.pending_request(waiting) != nullptr);
    CHECK(*store.pending_request(waiting) == frames_t{"svc", "waiting", filler});
    CHECK(store.replied_count() == 1);
}

TEST_CASE("UUIDs are 32 hex characters in either case", "[titanic]") {
    CHECK(normalize_uuid("0123456789ABCDEFabcdef0123456789") ==
          std::optional<std::string>("0123456789abcdefabcdef0123456789"));
    CHECK_FALSE(normalize_uuid("0123456789abcdef0123456789abcdeg"));
    CHECK_FALSE(normalize_uuid("0123456789abcdef"));
    CHECK_FALSE(normalize_uuid(""));
    uuid_generator_t generator;
    const auto a = generator.next(), b = generator.next();
    CHECK(a != b);
    CHECK(normalize_uuid(a) == std::optional<std::string>(a));
}

TEST_CASE("titanic.request bodies: a service and at least one frame", "[titanic]") {
    auto check = [](std::vector<std::string_view> frames) {
        return check_request(frames.data(), frames.size());
    };
    CHECK(check({"echo", "x"}) == request_error::none);
    CHECK(check({"echo", ""}) == request_error::none);
    CHECK(check({"echo"}) == request_error::no_body);
    CHECK(check({}) == request_error::no_body);
    CHECK(check({"", "x"}) == request_error::empty_service);
    CHECK(check({std::string_view(std::string(256, 's')), "x"}) == request_error::service_too_long);
    CHECK(check({"titanic.request", "x"}) == request_error::titanic_service);
}
