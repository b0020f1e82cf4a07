// A segment's sparse index on its own: which records become entries, and the entry a reader
// starts from for an offset or a time.
#include "journal/offset_index.hpp"

#include <catch2/catch.hpp>

using namespace zd::journal;

namespace {

// Notes count records of size bytes each, from offset 0 at position 0, timestamp = offset.
offset_index_t index_of(std::uint64_t count, std::uint64_t size) {
    offset_index_t index;
    for (std::uint64_t offset = 0; offset < count; ++offset)
        index.note({offset, offset * size, std::int64_t(offset)});
    return index;
}

} // namespace

TEST_CASE("offset index: the first record and then one every 64 records or 4 KiB",
          "[journal][index]") {
    CHECK(index_of(0, 10).size() == 0);
    CHECK(index_of(1, 10).size() == 1);
    CHECK(index_of(64, 10).size() == 1);  // offsets 0..63: only the first
    CHECK(index_of(65, 10).size() == 2);  // offset 64 is 64 records past 0
    CHECK(index_of(3, 4096).size() == 3); // big records: every one is 4 KiB past the last
    CHECK(index_of(5, 2048).size() == 3); // offsets 0, 2 and 4
}

TEST_CASE("offset index: at_or_before finds the last entry at or before an offset",
          "[journal][index]") {
    const auto index = index_of(200, 10); // entries at offsets 0, 64, 128, 192
    REQUIRE(index.size() == 4);
    CHECK(index.at_or_before(0)->offset == 0);
    CHECK(index.at_or_before(63)->offset == 0);
    CHECK(index.at_or_before(64)->offset == 64);
    CHECK(index.at_or_before(64)->position == 640);
    CHECK(index.at_or_before(191)->offset == 128);
    CHECK(index.at_or_before(1000)->offset == 192);

    offset_index_t later; // a segment that starts at offset 100
    later.note({100, 0, 5});
    CHECK_FALSE(later.at_or_before(99));
    CHECK(later.at_or_before(100)->offset == 100);
    CHECK_FALSE(offset_index_t{}.at_or_before(0));
}

TEST_CASE("offset index: last_before finds the last entry older than a time", "[journal][index]") {
    const auto index = index_of(200, 10); // timestamps equal offsets
    CHECK_FALSE(index.last_before(0));
    CHECK(index.last_before(1)->offset == 0);
    CHECK(index.last_before(64)->offset == 0); // strictly older
    CHECK(index.last_before(65)->offset == 64);
    CHECK(index.last_before(1000)->offset == 192);
}
