// The Majordomo codec (lib/mdp/codec.hpp) against the frame tables of 7/MDP (0.1) and
// 18/MDP (0.2): every command of both versions decodes to the right frame indices, and every
// malformed shape is refused with the error that names it. Frame 0 is always the routing id
// the broker's ROUTER adds; "" is an empty frame.
#include "mdp/codec.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

using namespace zd::mdp;

namespace {

using frames_t = std::vector<std::string>;

decoded_t decode_frames(const frames_t& frames) {
    std::vector<std::string_view> views(frames.begin(), frames.end());
    return decode(views.data(), views.size());
}

std::string byte(std::uint8_t value) {
    return std::string(1, char(value));
}

const std::string id = "\x00\x6b\x8b\x45\x67"; // what a ROUTER makes up for an anonymous peer

decode_error error_of(const frames_t& frames) {
    return decode_frames(frames).error;
}

} // namespace

// ---------------------------------------------------------------------------------------
// Valid commands

TEST_CASE("0.1 client REQUEST from a REQ socket: leading empty frame", "[mdp]") {
    const auto decoded = decode_frames({id, "", "MDPC01", "echo", "hello", "world"});
    REQUIRE(decoded.ok());
    const auto& message = decoded.message;
    CHECK(message.peer == peer_kind::client);
    CHECK(message.protocol == version::v01);
    CHECK(message.what == command::request);
    CHECK(message.leading_empty);
    CHECK(message.service == 3);
    CHECK(message.body == 4);
}

TEST_CASE("0.1 client REQUEST without the leading empty frame (DEALER that omits it)", "[mdp]") {
    const auto decoded = decode_frames({id, "MDPC01", "echo", "hello"});
    REQUIRE(decoded.ok());
    CHECK(decoded.message.protocol == version::v01);
    CHECK_FALSE(decoded.message.leading_empty);
    CHECK(decoded.message.service == 2);
    CHECK(decoded.message.body == 3);
}

TEST_CASE("0.2 client REQUEST without and with a leading empty frame", "[mdp]") {
    SECTION("as 18/MDP says: no empty frame") {
        const auto decoded = decode_frames({id, "MDPC02", byte(0x01), "echo", "a", "b"});
        REQUIRE(decoded.ok());
        CHECK(decoded.message.peer == peer_kind::client);
        CHECK(decoded.message.protocol == version::v02);
        CHECK(decoded.message.what == command::request);
        CHECK_FALSE(decoded.message.leading_empty);
        CHECK(decoded.message.service == 3);
        CHECK(decoded.message.body == 4);
    }
    SECTION("as majortomo sends it: an empty frame first") {
        const auto decoded = decode_frames({id, "", "MDPC02", byte(0x01), "echo", "a"});
        REQUIRE(decoded.ok());
        CHECK(decoded.message.protocol == version::v02);
        CHECK(decoded.message.leading_empty);
        CHECK(decoded.message.service == 4);
        CHECK(decoded.message.body == 5);
    }
}

TEST_CASE("a body frame may be empty", "[mdp]") {
    const auto decoded = decode_frames({id, "", "MDPC01", "echo", ""});
    REQUIRE(decoded.ok());
    CHECK(decoded.message.body == 4);
}

TEST_CASE("worker READY, both versions, with and without a leading empty frame", "[mdp]") {
    for (const std::string header : {"MDPW01", "MDPW02"}) {
        const version expected = header == "MDPW01" ? version::v01 : version::v02;
        INFO(header);
        {
            const auto decoded = decode_frames({id, "", header, byte(0x01), "echo"});
            REQUIRE(decoded.ok());
            CHECK(decoded.message.peer == peer_kind::worker);
            CHECK(decoded.message.protocol == expected);
            CHECK(decoded.message.what == command::ready);
            CHECK(decoded.message.leading_empty);
            CHECK(decoded.message.service == 4);
        }
        {
            const auto decoded = decode_frames({id, header, byte(0x01), "echo"});
            REQUIRE(decoded.ok());
            CHECK(decoded.message.what == command::ready);
            CHECK_FALSE(decoded.message.leading_empty);
            CHECK(decoded.message.service == 3);
        }
    }
}

TEST_CASE("worker REPLY (0.1) and FINAL (0.2) are a final reply", "[mdp]") {
    const auto v01 = decode_frames({id, "", "MDPW01", byte(0x03), "client-7", "", "r1", "r2"});
    REQUIRE(v01.ok());
    CHECK(v01.message.protocol == version::v01);
    CHECK(v01.message.what == command::reply);
    CHECK(v01.message.client == 4);
    CHECK(v01.message.body == 6);

    const auto v02 = decode_frames({id, "MDPW02", byte(0x04), "client-7", "", "r1"});
    REQUIRE(v02.ok());
    CHECK(v02.message.protocol == version::v02);
    CHECK(v02.message.what == command::reply);
    CHECK(v02.message.client == 3);
    CHECK(v02.message.body == 5);
}

TEST_CASE("worker PARTIAL exists in 0.2 only, 0x03 in 0.1 is REPLY", "[mdp]") {
    const auto v02 = decode_frames({id, "MDPW02", byte(0x03), "client-7", "", "part"});
    REQUIRE(v02.ok());
    CHECK(v02.message.what == command::partial);
    CHECK(v02.message.client == 3);
    CHECK(v02.message.body == 5);

    const auto v02_empty = decode_frames({id, "", "MDPW02", byte(0x03), "c", "", "part"});
    REQUIRE(v02_empty.ok());
    CHECK(v02_empty.message.what == command::partial);
    CHECK(v02_empty.message.client == 4);
    CHECK(v02_empty.message.body == 6);

    const auto v01 = decode_frames({id, "", "MDPW01", byte(0x03), "c", "", "x"});
    REQUIRE(v01.ok());
    CHECK(v01.message.what == command::reply);
}

TEST_CASE("worker HEARTBEAT and DISCONNECT, both versions", "[mdp]") {
    struct case_t {
        std::string header;
        std::uint8_t byte_value;
        command expected;
    };
    for (const auto& c :
         {case_t{"MDPW01", 0x04, command::heartbeat}, case_t{"MDPW01", 0x05, command::disconnect},
          case_t{"MDPW02", 0x05, command::heartbeat},
          case_t{"MDPW02", 0x06, command::disconnect}}) {
        INFO(c.header << " command " << int(c.byte_value));
        const auto with_empty = decode_frames({id, "", c.header, byte(c.byte_value)});
        REQUIRE(with_empty.ok());
        CHECK(with_empty.message.peer == peer_kind::worker);
        CHECK(with_empty.message.what == c.expected);
        CHECK(with_empty.message.leading_empty);
        const auto without = decode_frames({id, c.header, byte(c.byte_value)});
        REQUIRE(without.ok());
        CHECK(without.message.what == c.expected);
        CHECK_FALSE(without.message.leading_empty);
    }
}

TEST_CASE("worker REQUEST (0x02) decodes as worker_request: valid MDP, wrong direction", "[mdp]") {
    for (const std::string header : {"MDPW01", "MDPW02"}) {
        INFO(header);
        const auto decoded = decode_frames({id, "", header, byte(0x02), "client", "", "body"});
        REQUIRE(decoded.ok());
        CHECK(decoded.message.what == command::worker_request);
        CHECK(decoded.message.client == 4);
        CHECK(decoded.message.body == 6);
    }
}

TEST_CASE("a 255-byte service name is the longest accepted", "[mdp]") {
    const std::string longest(max_service_name, 's');
    CHECK(decode_frames({id, "", "MDPC01", longest, "b"}).ok());
    CHECK(decode_frames({id, "MDPW02", byte(0x01), longest}).ok());
}

TEST_CASE("encoding helpers give the bytes of the frame tables", "[mdp]") {
    CHECK(client_header(version::v01) == "MDPC01");
    CHECK(client_header(version::v02) == "MDPC02");
    CHECK(worker_header(version::v01) == "MDPW01");
    CHECK(worker_header(version::v02) == "MDPW02");
    CHECK(worker_request_byte(version::v01) == 0x02);
    CHECK(worker_request_byte(version::v02) == 0x02);
    CHECK(worker_heartbeat_byte(version::v01) == 0x04);
    CHECK(worker_heartbeat_byte(version::v02) == 0x05);
    CHECK(worker_disconnect_byte(version::v01) == 0x05);
    CHECK(worker_disconnect_byte(version::v02) == 0x06);
    CHECK(client_partial_byte == 0x02);
    CHECK(client_final_byte == 0x03);
}

// ---------------------------------------------------------------------------------------
// Malformed shapes

TEST_CASE("no frames at all: no routing id", "[mdp]") {
    CHECK(decode(nullptr, 0).error == decode_error::no_routing_id);
}

TEST_CASE("only a routing id, or a routing id and an empty frame: too few frames", "[mdp]") {
    CHECK(error_of({id}) == decode_error::too_few_frames);
    CHECK(error_of({id, ""}) == decode_error::too_few_frames);
}

TEST_CASE("unknown header frames", "[mdp]") {
    for (const char* header :
         {"MDPC03", "MDPW00", "mdpc01", "MDPC0", "MDPC011", "XXXXXX", "\xff\xfe", "MDP"}) {
        INFO(header);
        CHECK(error_of({id, header, byte(0x01), "echo", "body"}) == decode_error::unknown_protocol);
        CHECK(error_of({id, "", header, "echo", "body"}) == decode_error::unknown_protocol);
    }
    // Two empty frames: the second is taken as the header.
    CHECK(error_of({id, "", "", "MDPC01", "echo", "b"}) == decode_error::unknown_protocol);
}

TEST_CASE("header with nothing after it", "[mdp]") {
    CHECK(error_of({id, "", "MDPC01"}) == decode_error::too_few_frames);
    CHECK(error_of({id, "MDPC02"}) == decode_error::too_few_frames);
    CHECK(error_of({id, "", "MDPW01"}) == decode_error::too_few_frames);
    CHECK(error_of({id, "MDPW02"}) == decode_error::too_few_frames);
}

TEST_CASE("command frame of 0 or 2 bytes is a bad command", "[mdp]") {
    const std::vector<std::string> frames = {"", std::string("\x01\x01", 2), "\x01x"};
    for (const auto& frame : frames) {
        INFO("command frame of " << frame.size() << " bytes");
        CHECK(error_of({id, "MDPW01", frame, "echo"}) == decode_error::bad_command);
        CHECK(error_of({id, "", "MDPW02", frame, "echo"}) == decode_error::bad_command);
        CHECK(error_of({id, "MDPC02", frame, "echo", "body"}) == decode_error::bad_command);
    }
}

TEST_CASE("unknown command bytes", "[mdp]") {
    for (const std::uint8_t value : {0x00, 0x06, 0x07, 0x41, 0xff})
        CHECK(error_of({id, "", "MDPW01", byte(value), "echo"}) == decode_error::bad_command);
    for (const std::uint8_t value : {0x00, 0x07, 0x41, 0xff})
        CHECK(error_of({id, "MDPW02", byte(value), "echo"}) == decode_error::bad_command);
    // A 0.2 client has exactly one command: REQUEST. PARTIAL and FINAL go the other way.
    for (const std::uint8_t value : {0x00, 0x02, 0x03, 0x04, 0xff})
        CHECK(error_of({id, "MDPC02", byte(value), "echo", "body"}) == decode_error::bad_command);
}

TEST_CASE("empty service name", "[mdp]") {
    CHECK(error_of({id, "", "MDPC01", "", "body"}) == decode_error::empty_service);
    CHECK(error_of({id, "MDPC02", byte(0x01), "", "body"}) == decode_error::empty_service);
    CHECK(error_of({id, "", "MDPW01", byte(0x01), ""}) == decode_error::empty_service);
    CHECK(error_of({id, "MDPW02", byte(0x01), ""}) == decode_error::empty_service);
}

TEST_CASE("256-byte service name is too long", "[mdp]") {
    const std::string too_long(max_service_name + 1, 's');
    CHECK(error_of({id, "", "MDPC01", too_long, "body"}) == decode_error::service_too_long);
    CHECK(error_of({id, "MDPC02", byte(0x01), too_long, "body"}) == decode_error::service_too_long);
    CHECK(error_of({id, "", "MDPW01", byte(0x01), too_long}) == decode_error::service_too_long);
    CHECK(error_of({id, "MDPW02", byte(0x01), too_long}) == decode_error::service_too_long);
}

TEST_CASE("client request without a service or without a body", "[mdp]") {
    CHECK(error_of({id, "MDPC02", byte(0x01)}) == decode_error::too_few_frames);
    CHECK(error_of({id, "", "MDPC01", "echo"}) == decode_error::missing_body);
    CHECK(error_of({id, "MDPC02", byte(0x01), "echo"}) == decode_error::missing_body);
    CHECK(error_of({id, "", "MDPC02", byte(0x01), "echo"}) == decode_error::missing_body);
}

TEST_CASE("READY without a service", "[mdp]") {
    CHECK(error_of({id, "", "MDPW01", byte(0x01)}) == decode_error::too_few_frames);
    CHECK(error_of({id, "MDPW02", byte(0x01)}) == decode_error::too_few_frames);
}

TEST_CASE("worker reply without the empty delimiter after the client address", "[mdp]") {
    CHECK(error_of({id, "", "MDPW01", byte(0x03), "client", "body"}) ==
          decode_error::missing_delimiter);
    CHECK(error_of({id, "MDPW02", byte(0x04), "client", "x", "body"}) ==
          decode_error::missing_delimiter);
    CHECK(error_of({id, "MDPW02", byte(0x03), "client", "x", "body"}) ==
          decode_error::missing_delimiter);
}

TEST_CASE("worker reply with a client address and delimiter but no body", "[mdp]") {
    CHECK(error_of({id, "", "MDPW01", byte(0x03), "client", ""}) == decode_error::missing_body);
    CHECK(error_of({id, "MDPW02", byte(0x04), "client", ""}) == decode_error::missing_body);
    CHECK(error_of({id, "MDPW02", byte(0x03), "client", ""}) == decode_error::missing_body);
    CHECK(error_of({id, "MDPW02", byte(0x02), "client", ""}) == decode_error::missing_body);
}

TEST_CASE("worker reply with only a client address", "[mdp]") {
    CHECK(error_of({id, "", "MDPW01", byte(0x03)}) == decode_error::too_few_frames);
    CHECK(error_of({id, "", "MDPW01", byte(0x03), "client"}) == decode_error::too_few_frames);
}

TEST_CASE("extra frames after HEARTBEAT, DISCONNECT and READY", "[mdp]") {
    CHECK(error_of({id, "", "MDPW01", byte(0x04), "x"}) == decode_error::extra_frames);
    CHECK(error_of({id, "", "MDPW01", byte(0x05), ""}) == decode_error::extra_frames);
    CHECK(error_of({id, "MDPW02", byte(0x05), "x"}) == decode_error::extra_frames);
    CHECK(error_of({id, "MDPW02", byte(0x06), "x", "y"}) == decode_error::extra_frames);
    CHECK(error_of({id, "", "MDPW01", byte(0x01), "echo", "more"}) == decode_error::extra_frames);
    CHECK(error_of({id, "MDPW02", byte(0x01), "echo", ""}) == decode_error::extra_frames);
}

TEST_CASE("every error has a description", "[mdp]") {
    for (int error = int(decode_error::none); error <= int(decode_error::extra_frames); ++error) {
        const std::string text = describe(decode_error(error));
        CHECK_FALSE(text.empty());
        CHECK(text != "unknown error");
    }
}
