// ZMTP framing: short and long sizes, MORE and COMMAND, partial input, refusals.
#include "zmtp/frame.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace zd::zmtp;
using namespace std::string_literals;

TEST_CASE("frames encode with the short size up to 255 bytes, the long size above", "[zmtp]") {
    std::string out;
    append_frame(out, 0, "hello");
    CHECK(out == "\x00\x05hello"s);
    out.clear();
    append_frame(out, flag_more, "");
    CHECK(out == "\x01\x00"s);
    out.clear();
    const std::string body(256, 'x');
    append_frame(out, 0, body);
    CHECK(out == "\x02\x00\x00\x00\x00\x00\x00\x01\x00"s + body);
    CHECK(header_size(255) == 2);
    CHECK(header_size(256) == 9);
}

TEST_CASE("a frame decodes only once all of it has arrived", "[zmtp]") {
    std::string wire;
    append_frame(wire, flag_more, "ab");
    append_frame(wire, 0, std::string(300, 'z'));
    const auto first = decode_frame(wire, 1000);
    REQUIRE(first.status == decode_status::frame);
    CHECK(first.frame.more());
    CHECK_FALSE(first.frame.command());
    CHECK(first.frame.body == "ab");
    CHECK(first.consumed == 4);
    const std::string_view rest = std::string_view(wire).substr(first.consumed);
    for (std::size_t cut = 0; cut < rest.size(); ++cut)
        CHECK(decode_frame(rest.substr(0, cut), 1000).status == decode_status::need_more);
    const auto second = decode_frame(rest, 1000);
    REQUIRE(second.status == decode_status::frame);
    CHECK_FALSE(second.frame.more());
    CHECK(second.frame.body == std::string(300, 'z'));
    CHECK(second.consumed == 309);
}

TEST_CASE("bad frames are refused from their header", "[zmtp]") {
    CHECK(decode_frame("\x08\x00"s, 10).status == decode_status::error); // reserved bit 3
    CHECK(decode_frame("\x80"s, 10).status == decode_status::error);     // reserved bit 7
    CHECK(decode_frame("\x05\x00"s, 10).status == decode_status::error); // command with MORE
    // A size over the limit is refused before the body arrives: 2^63 announced in 9 bytes.
    const auto huge = decode_frame("\x02\x80\x00\x00\x00\x00\x00\x00\x00"s, 1 << 20);
    CHECK(huge.status == decode_status::error);
    CHECK(huge.error == "frame larger than the limit");
    CHECK(decode_frame("\x00\x0b"s, 10).status == decode_status::error);
    CHECK(decode_frame("\x00\x0a"s + std::string(10, 'x'), 10).status == decode_status::frame);
}

TEST_CASE("a long size for a short body is accepted, as RFC 23 allows", "[zmtp]") {
    const std::string wire = "\x06\x00\x00\x00\x00\x00\x00\x00\x02hi"s; // outlives the view
    const auto decoded = decode_frame(wire, 10);
    REQUIRE(decoded.status == decode_status::frame);
    CHECK(decoded.frame.command());
    CHECK(decoded.frame.body == "hi");
}
