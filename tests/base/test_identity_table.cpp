// identity_table_t: per-identity message counts for STATS, bounded so that a stream of new
// keys cannot grow a device's memory.
#include "base/identity_table.hpp"
#include "json_reader.hpp"

#include <catch2/catch.hpp>

#include <string>

using zd::identity_table_t;

TEST_CASE("identity table counts messages per user id and keeps the first name seen",
          "[identities]") {
    identity_table_t table;
    table.count("key-a", "hub-a");
    table.count("key-b", "");
    table.count("key-a", "other name");
    table.count("key-b", "late name");
    table.count("", "no user id: not counted");
    CHECK(table.listed() == 2);
    CHECK(table.messages("key-a") == 2);
    CHECK(table.messages("key-b") == 2);
    CHECK(table.messages("unknown") == 0);

    zd::json_writer_t json;
    table.write_json(json);
    const auto parsed = zd::test::parse_json(json.str());
    const auto& listed = parsed["listed"].items;
    REQUIRE(listed.size() == 2); // in the order first seen
    CHECK(listed[0]["user_id"].text == "key-a");
    CHECK(listed[0]["name"].text == "hub-a");
    CHECK(listed[0]["messages"].as_uint64() == 2);
    CHECK(listed[1]["user_id"].text == "key-b");
    CHECK(listed[1]["name"].text == "late name");
    CHECK(parsed["unlisted_messages"].as_uint64() == 0);
    CHECK(parsed["max_listed"].as_uint64() == identity_table_t::default_max_listed);
}

TEST_CASE("identity table lists at most max_listed identities and counts the rest together",
          "[identities]") {
    identity_table_t table(3);
    for (int key = 0; key < 1000; ++key)
        table.count("key-" + std::to_string(key), "");
    table.count("key-1", ""); // a listed one still counts on its own row
    CHECK(table.listed() == 3);
    CHECK(table.messages("key-1") == 2);
    CHECK(table.messages("key-999") == 0);
    CHECK(table.unlisted_messages() == 997);
    zd::json_writer_t json;
    table.write_json(json);
    const auto parsed = zd::test::parse_json(json.str());
    CHECK(parsed["listed"].items.size() == 3);
    CHECK(parsed["listed"].items[0]["name"].type == zd::test::json_value_t::kind::null);
    CHECK(parsed["unlisted_messages"].as_uint64() == 997);
}
