// The ZMTP greeting and commands: bytes as RFC 23 and 37 lay them out.
#include "zmtp/command.hpp"
#include "zmtp/greeting.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

using namespace zd::zmtp;
using namespace std::string_literals;

namespace {
std::string greeting_text(std::string_view mechanism, bool as_server) {
    const auto bytes = make_greeting(mechanism, as_server);
    return std::string(bytes.data(), bytes.size());
}
} // namespace

TEST_CASE("our greeting is ZMTP 3.1 with the mechanism NUL-padded", "[zmtp]") {
    const std::string g = greeting_text("NULL", false);
    REQUIRE(g.size() == 64);
    CHECK(g.substr(0, 12) == "\xFF\0\0\0\0\0\0\0\0\x7F\x03\x01"s);
    CHECK(g.substr(12, 20) == "NULL"s + std::string(16, '\0'));
    CHECK(g[32] == 0);
    CHECK(g.substr(33) == std::string(31, '\0'));
    CHECK(greeting_text("CURVE", true)[32] == 1);
    CHECK_THROWS_AS(make_greeting("", false), std::invalid_argument);
    CHECK_THROWS_AS(make_greeting(std::string(21, 'A'), false), std::invalid_argument);
}

TEST_CASE("peer greetings parse, older or foreign ones are refused", "[zmtp]") {
    const auto ours = parse_greeting(greeting_text("PLAIN", true));
    REQUIRE(ours.ok);
    CHECK(ours.greeting.major == 3);
    CHECK(ours.greeting.minor == 1);
    CHECK(ours.greeting.mechanism == "PLAIN");
    CHECK(ours.greeting.as_server);

    std::string v30 = greeting_text("NULL", false);
    v30[11] = 0;
    CHECK(parse_greeting(v30).ok);

    std::string v2 = greeting_text("NULL", false);
    v2[10] = 1;
    const auto old = parse_greeting(v2);
    CHECK_FALSE(old.ok);
    CHECK_THAT(old.error, Catch::Contains("ZMTP/2.0 or older peer"));

    std::string http = "GET / HTTP/1.1\r\n" + std::string(48, ' ');
    CHECK_THAT(parse_greeting(http).error, Catch::Contains("not a ZMTP 3 greeting"));

    std::string gap = greeting_text("NULL", false);
    gap[17] = 'X'; // a character after the NUL padding began
    CHECK_FALSE(parse_greeting(gap).ok);
    std::string blank = greeting_text("NULL", false);
    blank[12] = '\0';
    CHECK_FALSE(parse_greeting(blank).ok);
    CHECK_FALSE(parse_greeting("short").ok);
}

TEST_CASE("commands split into name and data", "[zmtp]") {
    const std::string body = make_command("PING", "\x00\x0a"s
                                                  "ctx");
    CHECK(body == "\x04PING\x00\x0a"s
                  "ctx");
    const auto command = parse_command(body);
    REQUIRE(command);
    CHECK(command->name == "PING");
    CHECK(command->data == "\x00\x0a"s
                           "ctx");
    CHECK_FALSE(parse_command(""));
    CHECK_FALSE(parse_command("\x00"s));
    CHECK_FALSE(parse_command("\x05REA"s));  // shorter than its size byte says
    CHECK_FALSE(parse_command("\x04RE-Y"s)); // not letters
    CHECK_THROWS_AS(make_command("", ""), std::invalid_argument);
}

TEST_CASE("READY metadata round-trips and is read without regard to case", "[zmtp]") {
    const properties_t properties{{"Socket-Type", "DEALER"}, {"Identity", "w1"}, {"X-Empty", ""}};
    const std::string data = encode_properties(properties);
    CHECK(data.substr(0, 22) == "\x0bSocket-Type\x00\x00\x00\x06"
                                "DEALER"s);
    const auto parsed = parse_properties(data);
    REQUIRE(parsed);
    CHECK(*parsed == properties);
    CHECK(find_property(*parsed, "socket-type") == "DEALER");
    CHECK(find_property(*parsed, "IDENTITY") == "w1");
    CHECK_FALSE(find_property(*parsed, "Resource"));

    CHECK(parse_properties("") == properties_t{});
    CHECK_FALSE(parse_properties("\x0bSocket-Type\x00\x00\x00\x07"
                                 "DEALER"s));                  // value cut
    CHECK_FALSE(parse_properties("\x0bSocket-Type\x00\x00"s)); // size cut
    CHECK_FALSE(parse_properties("\x00\x00\x00\x00\x00"s));    // empty name
    CHECK_FALSE(parse_properties("\x02"
                                 "a b\x00\x00\x00\x00"s)); // bad name
    CHECK_THROWS_AS(encode_properties({{"bad name", "x"}}), std::invalid_argument);
}
