// Who is connected (lib/base/peer_table.hpp): counts per side, the addresses STATS lists, and
// the events of both engines applied in any order the wire allows.
#include "base/json_writer.hpp"
#include "base/peer_table.hpp"
#include "json_reader.hpp"

#include <catch2/catch.hpp>

using namespace zd::test;

namespace {
json_value_t peers_json(const zd::peer_table_t& table) {
    zd::json_writer_t json;
    json.begin_object();
    table.write_json(json);
    json.end_object();
    return parse_json(json.str())["peers"];
}
} // namespace

TEST_CASE("a side counts connections open now, ever opened and ever closed", "[peers]") {
    zd::peer_table_t table({"frontend", "backend"});
    const std::size_t frontend = table.side("frontend");
    table.connected(frontend, 7, "127.0.0.1:40001");
    table.connected(frontend, 8, "127.0.0.1:40002");
    table.disconnected(frontend, 7);
    const auto counts = table.counts(frontend);
    CHECK(counts.connected == 1);
    CHECK(counts.connections == 2);
    CHECK(counts.disconnections == 1);
    CHECK(table.counts(table.side("backend")).connections == 0);
    const auto json = peers_json(table);
    CHECK(json.keys() == std::vector<std::string>{"frontend", "backend"});
    CHECK(json["frontend"]["connected"].as_uint64() == 1);
    REQUIRE(json["frontend"]["addresses"].items.size() == 1);
    CHECK(json["frontend"]["addresses"].items[0].text == "127.0.0.1:40002");
    CHECK(json["backend"]["addresses"].items.empty());
}

TEST_CASE("a close never heard of and a reused id do not corrupt the count", "[peers]") {
    zd::peer_table_t table({"backend"});
    table.disconnected(0, 99); // not open: ignored
    table.connected(0, 5, "a");
    table.connected(0, 5, "b"); // descriptor 5 reused: the first must have closed
    const auto counts = table.counts(0);
    CHECK(counts.connected == 1);
    CHECK(counts.connections == 2);
    CHECK(counts.disconnections == 1);
    CHECK(counts.disconnections <= counts.connections);
}

TEST_CASE("events apply as their kind says, handshake failures counted apart", "[peers]") {
    zd::peer_table_t table({"frontend"});
    using kind = zd::peer_event_t::kind_t;
    table.record({kind::connected, 0, 3, "[::1]:5000", "tcp://[::1]:5555"});
    table.record({kind::handshake_failed, 0, 0, {}, "tcp://[::1]:5555"});
    table.record({kind::disconnected, 0, 3, {}, {}});
    const auto counts = table.counts(0);
    CHECK(counts.connected == 0);
    CHECK(counts.connections == 1);
    CHECK(counts.handshake_failures == 1);
}

TEST_CASE("STATS lists at most max_listed_addresses and counts the rest", "[peers]") {
    zd::peer_table_t table({"frontend"});
    const std::size_t open = zd::peer_table_t::max_listed_addresses + 5;
    for (std::size_t id = 0; id < open; ++id)
        table.connected(0, id, "10.0.0.1:" + std::to_string(1000 + id));
    table.connected(0, open, ""); // an ipc client: no address to list
    const auto json = peers_json(table)["frontend"];
    CHECK(json["connected"].as_uint64() == open + 1);
    CHECK(json["addresses"].items.size() == zd::peer_table_t::max_listed_addresses);
    CHECK(json["addresses_not_listed"].as_uint64() == 6);
}

TEST_CASE("an unknown side name is a set-up error", "[peers]") {
    zd::peer_table_t table({"frontend"});
    CHECK_THROWS_AS(table.side("backend"), std::invalid_argument);
}
