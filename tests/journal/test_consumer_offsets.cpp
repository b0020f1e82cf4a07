// DIR/consumers: round trip, missing file, atomic replacement, damage detected.
#include "journal/consumer_offsets.hpp"

#include "journal_test_util.hpp"

#include <catch2/catch.hpp>

using namespace zd::journal;
using namespace zd::journal::test;

TEST_CASE("consumer offsets: missing file is an empty table, round trip", "[journal][offsets]") {
    zd::test::temp_dir_t dir;
    CHECK(load_consumer_offsets(dir.path()).empty());
    consumer_table_t table{{"alpha", 10}, {"", 0}, {std::string(300, 'n'), ~0ull}};
    store_consumer_offsets(dir.path(), table);
    CHECK(load_consumer_offsets(dir.path()) == table);
    table["alpha"] = 11;
    table.erase("");
    store_consumer_offsets(dir.path(), table);
    CHECK(load_consumer_offsets(dir.path()) == table);
    CHECK_FALSE(std::filesystem::exists(dir.file("consumers.tmp")));
    store_consumer_offsets(dir.path(), {});
    CHECK(load_consumer_offsets(dir.path()).empty());
}

TEST_CASE("consumer offsets: a leftover temp file from a crash is ignored", "[journal][offsets]") {
    zd::test::temp_dir_t dir;
    store_consumer_offsets(dir.path(), {{"c", 5}});
    write_file(dir.file("consumers.tmp"), "half-writ");
    CHECK(load_consumer_offsets(dir.path()) == consumer_table_t{{"c", 5}});
    store_consumer_offsets(dir.path(), {{"c", 6}});
    CHECK(load_consumer_offsets(dir.path()) == consumer_table_t{{"c", 6}});
}

TEST_CASE("consumer offsets: any damage is an error naming the file", "[journal][offsets]") {
    zd::test::temp_dir_t dir;
    store_consumer_offsets(dir.path(), {{"alpha", 10}, {"beta", 20}});
    const std::string good = read_file(dir.file("consumers"));
    const auto expect_damage = [&](const std::string& bytes) {
        write_file(dir.file("consumers"), bytes);
        try {
            load_consumer_offsets(dir.path());
            FAIL("damaged file loaded");
        } catch (const std::runtime_error& error) {
            CHECK(std::string(error.what()).find(dir.file("consumers")) != std::string::npos);
        }
    };
    for (std::size_t size = 0; size < good.size(); ++size)
        expect_damage(good.substr(0, size));
    for (std::size_t bit = 0; bit < good.size() * 8; ++bit) {
        std::string bad = good;
        bad[bit / 8] ^= char(1 << (bit % 8));
        expect_damage(bad);
    }
    expect_damage(good + "x");
}
