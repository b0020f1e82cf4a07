// The producers' dedup table on its own: the highest sequence kept per id, and the least
// recently seen id forgotten first once the table is full.
#include "journal/producer_table.hpp"

#include <catch2/catch.hpp>

using namespace zd::journal;

TEST_CASE("producer table: an unknown id has no state, a known one its highest sequence",
          "[journal][producers]") {
    producer_table_t table(10);
    CHECK(table.find("a") == nullptr);
    table.touch("a", 5);
    table.touch("a", 3); // a retry of an older message does not move the sequence back
    REQUIRE(table.find("a") != nullptr);
    CHECK(table.find("a")->last_seq == 5);
    table.touch("a", 7);
    CHECK(table.find("a")->last_seq == 7);
    CHECK(table.find("b") == nullptr);
    CHECK(table.size() == 1);
}

TEST_CASE("producer table: past capacity the least recently seen id is forgotten",
          "[journal][producers]") {
    producer_table_t table(3);
    table.touch("a", 1);
    table.touch("b", 1);
    table.touch("c", 1);
    table.touch("a", 2); // a is now the most recent; b the least
    table.touch("d", 1);
    CHECK(table.size() == 3);
    CHECK(table.find("b") == nullptr);
    CHECK(table.find("a") != nullptr);
    CHECK(table.find("c") != nullptr);
    CHECK(table.find("d") != nullptr);
    table.touch("e", 1); // c is the least recent now
    CHECK(table.find("c") == nullptr);
    CHECK(table.find("a")->last_seq == 2);
}

TEST_CASE("producer table: a forgotten id starts again from what it sends next",
          "[journal][producers]") {
    producer_table_t table(1);
    table.touch("a", 9);
    table.touch("b", 1);
    CHECK(table.find("a") == nullptr);
    table.touch("a", 4);
    REQUIRE(table.find("a") != nullptr);
    CHECK(table.find("a")->last_seq == 4);
    CHECK(table.find("b") == nullptr);
    CHECK(table.size() == 1);
}
