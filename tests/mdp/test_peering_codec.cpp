// The broker peering codec (lib/mdp/peering.hpp) against its frame table: every ZDPB01 command
// decodes to the right fields and frame indices, every decode_error is reached by the shape
// it names (and has a description of its own), the fixed-width numbers round-trip, and the
// path helpers read 8-byte broker ids. Frames here start at the header: the routing id is
// not part of what decode() sees.
#include "mdp/codec.hpp"
#include "mdp/peering.hpp"

#include <catch2/catch.hpp>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <vector>

using namespace zd::mdp::peering;

namespace {

using frames_t = std::vector<std::string>;

decoded_t decode_frames(const frames_t& frames) {
    std::vector<std::string_view> views(frames.begin(), frames.end());
    return decode(views.data(), views.size());
}

decode_error error_of(const frames_t& frames) {
    return decode_frames(frames).error;
}

std::string byte(std::uint8_t value) {
    return std::string(1, char(value));
}

std::string cmd(command what) {
    return byte(std::uint8_t(what));
}

const std::string broker_a = "AAAAAAAA";
const std::string broker_b = "BBBBBBBB";
const std::string broker_c = "CCCCCCCC";
const std::string request_id = encode_u64(0x0102030405060708);
const std::string capacity = encode_u32(7);

} // namespace

// ---------------------------------------------------------------------------------------
// Every command

TEST_CASE("peering HELLO: broker id, name, and whether it asks an answer", "[peering]") {
    SECTION("kind 0 asks") {
        const auto decoded =
            decode_frames({"ZDPB01", cmd(command::hello), broker_a, "hub-a", byte(0)});
        REQUIRE(decoded.ok());
        CHECK(decoded.message.what == command::hello);
        CHECK(decoded.message.ask);
        CHECK(decoded.message.first == 2);
    }
    SECTION("kind 1 answers; an empty name and a 255-byte one are fine") {
        auto decoded = decode_frames({"ZDPB01", cmd(command::hello), broker_a, "", byte(1)});
        REQUIRE(decoded.ok());
        CHECK_FALSE(decoded.message.ask);
        decoded = decode_frames(
            {"ZDPB01", cmd(command::hello), broker_a, std::string(max_name, 'n'), byte(1)});
        CHECK(decoded.ok());
    }
}

TEST_CASE("peering HEARTBEAT is the header and the command alone", "[peering]") {
    const auto decoded = decode_frames({"ZDPB01", cmd(command::heartbeat)});
    REQUIRE(decoded.ok());
    CHECK(decoded.message.what == command::heartbeat);
}

TEST_CASE("peering ROUTE: one or more (service capacity path) triples", "[peering]") {
    auto decoded = decode_frames({"ZDPB01", cmd(command::route), "echo", capacity, broker_a});
    REQUIRE(decoded.ok());
    CHECK(decoded.message.what == command::route);
    decoded = decode_frames({"ZDPB01", cmd(command::route), "echo", capacity, broker_a, "ocr",
                             encode_u32(0), broker_a + broker_b + broker_c});
    CHECK(decoded.ok());
    // The longest path allowed.
    std::string longest;
    for (std::size_t i = 0; i < max_path_brokers; ++i)
        longest += encode_u64(i);
    CHECK(decode_frames({"ZDPB01", cmd(command::route), "echo", capacity, longest}).ok());
}

TEST_CASE("peering WITHDRAW: one or more services", "[peering]") {
    auto decoded = decode_frames({"ZDPB01", cmd(command::withdraw), "echo"});
    REQUIRE(decoded.ok());
    CHECK(decoded.message.what == command::withdraw);
    CHECK(decode_frames({"ZDPB01", cmd(command::withdraw), "echo", "ocr", "x"}).ok());
}

TEST_CASE("peering REQUEST: id, service, path and body frames by index", "[peering]") {
    const auto decoded = decode_frames(
        {"ZDPB01", cmd(command::request), request_id, "echo", broker_a + broker_b, "one", ""});
    REQUIRE(decoded.ok());
    const auto& message = decoded.message;
    CHECK(message.what == command::request);
    CHECK(message.request == 0x0102030405060708);
    CHECK(message.service == 3);
    CHECK(message.path == 4);
    CHECK(message.body == 5);
    // An empty body frame is a body.
    CHECK(decode_frames({"ZDPB01", cmd(command::request), request_id, "echo", broker_a, ""}).ok());
}

TEST_CASE("peering REPLY: id, final flag and body frames", "[peering]") {
    auto decoded =
        decode_frames({"ZDPB01", cmd(command::reply), request_id, byte(1), "answer", "more"});
    REQUIRE(decoded.ok());
    CHECK(decoded.message.what == command::reply);
    CHECK(decoded.message.request == 0x0102030405060708);
    CHECK(decoded.message.final);
    CHECK(decoded.message.body == 4);
    decoded = decode_frames({"ZDPB01", cmd(command::reply), request_id, byte(0), "part"});
    REQUIRE(decoded.ok());
    CHECK_FALSE(decoded.message.final);
}

TEST_CASE("peering REFUSE: id and a reason, empty or up to 255 bytes", "[peering]") {
    auto decoded = decode_frames({"ZDPB01", cmd(command::refuse), request_id, "no route"});
    REQUIRE(decoded.ok());
    CHECK(decoded.message.what == command::refuse);
    CHECK(decoded.message.request == 0x0102030405060708);
    CHECK(decode_frames({"ZDPB01", cmd(command::refuse), request_id, ""}).ok());
    CHECK(decode_frames({"ZDPB01", cmd(command::refuse), request_id, std::string(max_reason, 'r')})
              .ok());
}

// ---------------------------------------------------------------------------------------
// Every error, by the shape it names

TEST_CASE("peering decode errors: each is reached by its shape", "[peering]") {
    std::set<decode_error> reached;
    auto expect = [&reached](const frames_t& frames, decode_error error) {
        INFO("frames: " << frames.size() << ", expected: " << describe(error));
        CHECK(error_of(frames) == error);
        reached.insert(error);
    };
    const std::string hello = cmd(command::hello), route = cmd(command::route),
                      withdraw = cmd(command::withdraw), request = cmd(command::request),
                      reply = cmd(command::reply), refuse = cmd(command::refuse),
                      heartbeat = cmd(command::heartbeat);

    expect({}, decode_error::too_few_frames);
    expect({"ZDPB01"}, decode_error::too_few_frames);
    expect({"ZDPB02", heartbeat}, decode_error::not_peering);
    expect({"MDPC01", "echo"}, decode_error::not_peering);
    expect({"ZDPB01", ""}, decode_error::bad_command);
    expect({"ZDPB01", hello + hello}, decode_error::bad_command);
    expect({"ZDPB01", byte(0x00)}, decode_error::bad_command);
    expect({"ZDPB01", byte(0x08)}, decode_error::bad_command);
    expect({"ZDPB01", byte(0xff)}, decode_error::bad_command);

    // HELLO broker-id name kind
    expect({"ZDPB01", hello, broker_a, "a"}, decode_error::too_few_frames);
    expect({"ZDPB01", hello, broker_a, "a", byte(0), "x"}, decode_error::extra_frames);
    expect({"ZDPB01", hello, "AAAAAAA", "a", byte(0)}, decode_error::bad_broker_id);
    expect({"ZDPB01", hello, broker_a + "A", "a", byte(0)}, decode_error::bad_broker_id);
    expect({"ZDPB01", hello, broker_a, std::string(max_name + 1, 'n'), byte(0)},
           decode_error::name_too_long);
    expect({"ZDPB01", hello, broker_a, "a", byte(2)}, decode_error::bad_hello_kind);
    expect({"ZDPB01", hello, broker_a, "a", ""}, decode_error::bad_hello_kind);
    expect({"ZDPB01", hello, broker_a, "a", byte(0) + byte(0)}, decode_error::bad_hello_kind);

    // HEARTBEAT
    expect({"ZDPB01", heartbeat, ""}, decode_error::extra_frames);

    // ROUTE (service capacity path)+
    expect({"ZDPB01", route, "echo", capacity}, decode_error::too_few_frames);
    expect({"ZDPB01", route, "echo", capacity, broker_a, "ocr"}, decode_error::bad_route);
    expect({"ZDPB01", route, "", capacity, broker_a}, decode_error::bad_route);
    expect({"ZDPB01", route, std::string(zd::mdp::max_service_name + 1, 's'), capacity, broker_a},
           decode_error::bad_route);
    expect({"ZDPB01", route, "echo", "\x01\x02\x03", broker_a}, decode_error::bad_route);
    expect({"ZDPB01", route, "echo", capacity, ""}, decode_error::bad_route);
    expect({"ZDPB01", route, "echo", capacity, broker_a + "x"}, decode_error::bad_route);
    std::string too_long;
    for (std::size_t i = 0; i <= max_path_brokers; ++i)
        too_long += encode_u64(i);
    expect({"ZDPB01", route, "echo", capacity, too_long}, decode_error::bad_route);
    // A bad second triple spoils the message.
    expect({"ZDPB01", route, "echo", capacity, broker_a, "ocr", capacity, "short"},
           decode_error::bad_route);

    // WITHDRAW service+
    expect({"ZDPB01", withdraw}, decode_error::too_few_frames);
    expect({"ZDPB01", withdraw, "echo", ""}, decode_error::empty_service);
    expect({"ZDPB01", withdraw, std::string(zd::mdp::max_service_name + 1, 's')},
           decode_error::service_too_long);

    // REQUEST request-id service path body+
    expect({"ZDPB01", request, request_id, "echo", broker_a}, decode_error::too_few_frames);
    expect({"ZDPB01", request, "1234567", "echo", broker_a, "body"}, decode_error::bad_request_id);
    expect({"ZDPB01", request, request_id, "", broker_a, "body"}, decode_error::empty_service);
    expect({"ZDPB01", request, request_id, std::string(zd::mdp::max_service_name + 1, 's'),
            broker_a, "body"},
           decode_error::service_too_long);
    expect({"ZDPB01", request, request_id, "echo", "", "body"}, decode_error::bad_path);
    expect({"ZDPB01", request, request_id, "echo", "1234567", "body"}, decode_error::bad_path);
    expect({"ZDPB01", request, request_id, "echo", too_long, "body"}, decode_error::bad_path);

    // REPLY request-id final body+
    expect({"ZDPB01", reply, request_id, byte(1)}, decode_error::too_few_frames);
    expect({"ZDPB01", reply, request_id + "9", byte(1), "body"}, decode_error::bad_request_id);
    expect({"ZDPB01", reply, request_id, byte(2), "body"}, decode_error::bad_final);
    expect({"ZDPB01", reply, request_id, "", "body"}, decode_error::bad_final);

    // REFUSE request-id reason
    expect({"ZDPB01", refuse, request_id}, decode_error::too_few_frames);
    expect({"ZDPB01", refuse, request_id, "why", "extra"}, decode_error::extra_frames);
    expect({"ZDPB01", refuse, "", "why"}, decode_error::bad_request_id);
    expect({"ZDPB01", refuse, request_id, std::string(max_reason + 1, 'r')},
           decode_error::reason_too_long);

    // Every error but none was reached (extra_frames is the last enumerator).
    for (auto error = std::uint8_t(decode_error::too_few_frames);
         error <= std::uint8_t(decode_error::extra_frames); ++error) {
        INFO("not reached: " << describe(decode_error(error)));
        CHECK(reached.count(decode_error(error)) == 1);
    }
}

TEST_CASE("peering decode errors have names of their own", "[peering]") {
    std::set<std::string> names;
    for (auto error = std::uint8_t(decode_error::none);
         error <= std::uint8_t(decode_error::extra_frames); ++error) {
        const std::string name = describe(decode_error(error));
        CHECK_FALSE(name.empty());
        CHECK(name != "unknown error");
        names.insert(name);
    }
    CHECK(names.size() == std::size_t(decode_error::extra_frames) + 1);
    CHECK(std::string(describe(decode_error(0xee))) == "unknown error");
}

TEST_CASE("is_peering looks at the header frame only", "[peering]") {
    const std::string_view peering[] = {"ZDPB01", "\x02"};
    const std::string_view mdp[] = {"MDPC01", "echo"};
    CHECK(is_peering(peering, 2));
    CHECK_FALSE(is_peering(peering, 1)); // a header alone is not a message
    CHECK_FALSE(is_peering(mdp, 2));
}

// ---------------------------------------------------------------------------------------
// Numbers and paths

TEST_CASE("u32 and u64 are big-endian and round-trip", "[peering]") {
    CHECK(encode_u32(0x01020304) == std::string("\x01\x02\x03\x04", 4));
    CHECK(encode_u64(0x0102030405060708) == std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
    CHECK(encode_u32(0) == std::string(4, '\0'));
    CHECK(encode_u64(0) == std::string(8, '\0'));
    for (std::uint32_t value : {0u, 1u, 0xffu, 0x100u, 0x80000000u, 0xfffffffeu,
                                std::numeric_limits<std::uint32_t>::max()})
        CHECK(decode_u32(encode_u32(value)) == value);
    for (std::uint64_t value :
         {std::uint64_t(0), std::uint64_t(1), std::uint64_t(0xff), std::uint64_t(1) << 32,
          std::uint64_t(0x8000000000000000), std::numeric_limits<std::uint64_t>::max()})
        CHECK(decode_u64(encode_u64(value)) == value);
    // High bytes are unsigned, not sign-extended.
    CHECK(decode_u32(std::string("\xff\x00\x00\x80", 4)) == 0xff000080u);
    CHECK(decode_u64(std::string("\x80\x00\x00\x00\x00\x00\x00\xff", 8)) == 0x80000000000000ffu);
}

TEST_CASE("path helpers: length, membership on 8-byte boundaries, meeting, hex", "[peering]") {
    const std::string path = broker_a + broker_b;
    CHECK(path_length("") == 0);
    CHECK(path_length(broker_a) == 1);
    CHECK(path_length(path + broker_c) == 3);

    CHECK(path_contains(path, broker_a));
    CHECK(path_contains(path, broker_b));
    CHECK_FALSE(path_contains(path, broker_c));
    CHECK_FALSE(path_contains("", broker_a));
    // An id that appears only across two ids' boundary is not on the path.
    const std::string straddling = broker_a.substr(4) + broker_b.substr(0, 4);
    CHECK_FALSE(path_contains(path, straddling));

    CHECK(paths_meet(path, broker_b + broker_c));
    CHECK(paths_meet(broker_c + broker_a, path));
    CHECK_FALSE(paths_meet(path, broker_c));
    CHECK_FALSE(paths_meet("", path));
    CHECK_FALSE(paths_meet(path, ""));
    CHECK_FALSE(paths_meet(path, straddling + straddling));

    CHECK(hex_id(encode_u64(0x0123456789abcdef)) == "0123456789abcdef");
    CHECK(hex_id(std::string("\xff\x00", 2)) == "ff00");
    CHECK(hex_id("") == "");
}
