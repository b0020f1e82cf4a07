// The NULL handshake as a state machine: two of ours talking to each other, byte by byte,
// and every way a peer can make it fail.
#include "zmtp/frame.hpp"
#include "zmtp/greeting.hpp"
#include "zmtp/handshake.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

using namespace zd::zmtp;
using namespace std::string_literals;

namespace {

// Moves each side's output to the other, chunk bytes at a time, until neither has output.
void converse(null_handshake_t& a, null_handshake_t& b, std::size_t chunk) {
    for (int round = 0; round < 10000 && (!a.output().empty() || !b.output().empty()); ++round) {
        for (auto [from, to] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
            const std::string bytes = from->output().substr(0, chunk);
            from->output().erase(0, bytes.size());
            to->feed(bytes);
        }
    }
}

std::string peer_greeting(std::string_view mechanism = "NULL") {
    const auto bytes = make_greeting(mechanism, false);
    return std::string(bytes.data(), bytes.size());
}

std::string command_frame(std::string_view name, std::string_view data) {
    std::string frame;
    append_frame(frame, flag_command, make_command(name, data));
    return frame;
}

} // namespace

TEST_CASE("two sides agree, however the bytes are cut", "[zmtp]") {
    for (std::size_t chunk : {1, 7, 64, 1000}) {
        null_handshake_t push("PUSH");
        null_handshake_t pull("PULL", "consumer-1");
        converse(push, pull, chunk);
        REQUIRE(push.done());
        REQUIRE(pull.done());
        CHECK(push.peer_socket_type() == "PULL");
        CHECK(find_property(push.peer_properties(), "Identity") == "consumer-1");
        CHECK(pull.peer_socket_type() == "PUSH");
        CHECK(pull.peer_minor_version() == 1);
    }
}

TEST_CASE("bytes after the peer's READY are left for the caller", "[zmtp]") {
    null_handshake_t ours("PULL");
    std::string wire =
        peer_greeting() + command_frame("READY", encode_properties({{"Socket-Type", "PUSH"}}));
    const std::size_t handshake_bytes = wire.size();
    append_frame(wire, 0, "first message");
    CHECK(ours.feed(wire) == handshake_bytes);
    REQUIRE(ours.done());
    CHECK(ours.feed("more") == 0);
    // Our greeting went out at once, our READY after the peer's greeting.
    CHECK(ours.output().substr(0, 64) == peer_greeting());
    const auto ready = decode_frame(std::string_view(ours.output()).substr(64), 1000);
    REQUIRE(ready.status == decode_status::frame);
    CHECK(ready.frame.command());
}

TEST_CASE("the handshake fails clearly for peers it must not talk to", "[zmtp]") {
    const auto fails_with = [](const std::string& ours_type, const std::string& wire) {
        null_handshake_t ours(ours_type);
        ours.feed(wire);
        CHECK(ours.failed());
        return ours.error();
    };
    const std::string ready_pub =
        command_frame("READY", encode_properties({{"Socket-Type", "PUB"}}));
    CHECK(fails_with("PUSH", peer_greeting() + ready_pub) ==
          "a PUSH socket cannot talk to a PUB socket");
    CHECK_THAT(fails_with("PUSH", peer_greeting() + command_frame("READY", "")),
               Catch::Contains("peer without Socket-Type"));
    CHECK_THAT(fails_with("PUSH", peer_greeting("CURVE")),
               Catch::Contains("asks for the CURVE mechanism"));
    CHECK(fails_with("PUSH", peer_greeting() + command_frame("ERROR", "\x06"
                                                                      "denied")) ==
          "the peer refused: denied");
    CHECK_THAT(fails_with("PUSH", peer_greeting() + command_frame("HELLO", "")),
               Catch::Contains("expected READY, got HELLO"));
    std::string message_first = peer_greeting();
    append_frame(message_first, 0, "data");
    CHECK(fails_with("PUSH", message_first) == "a message before READY");
    CHECK_THAT(fails_with("PUSH", peer_greeting() + "\x06\x00\x00\x00\x00\x00\x01\x00\x01"s),
               Catch::Contains("larger than the limit"));
    CHECK_THAT(fails_with("PUSH", peer_greeting() + command_frame("READY", "\x03"
                                                                           "abc")),
               Catch::Contains("malformed READY metadata"));
    CHECK_THAT(fails_with("PUSH", std::string(64, 'x')), Catch::Contains("not a ZMTP 3"));
}

TEST_CASE("socket types pair as the RFCs say", "[zmtp]") {
    CHECK(socket_types_match("PUSH", "PULL"));
    CHECK_FALSE(socket_types_match("PUSH", "PUSH"));
    CHECK(socket_types_match("XSUB", "PUB"));
    CHECK(socket_types_match("XPUB", "SUB"));
    CHECK(socket_types_match("ROUTER", "ROUTER"));
    CHECK(socket_types_match("DEALER", "REP"));
    CHECK_FALSE(socket_types_match("REQ", "REQ"));
    CHECK_FALSE(socket_types_match("push", "PULL"));
    CHECK_THROWS_AS(null_handshake_t("STREAM"), std::invalid_argument);
    CHECK_THROWS_AS(null_handshake_t("DEALER", std::string(256, 'i')), std::invalid_argument);
}
