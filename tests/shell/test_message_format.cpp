// How zd-recv prints messages: escaping, hex, JSON and the frame separator.
#include "shell/message_format.hpp"

#include <catch2/catch.hpp>
#include <zmq.hpp>

using zd::shell::format_message;
using zd::shell::output_format;

namespace {
std::string escaped(std::string_view text) {
    std::string out;
    zd::shell::append_escaped(out, text);
    return out;
}
std::string hex(std::string_view bytes) {
    std::string out;
    zd::shell::append_hex(out, bytes);
    return out;
}
} // namespace

TEST_CASE("text escaping keeps printable text and UTF-8 as is", "[tools]") {
    CHECK(escaped("hello world") == "hello world");
    CHECK(escaped("gr\xC3\xBC\xC3\x9F"
                  "e \xE2\x82\xAC \xF0\x9F\x98\x80") == "gr\xC3\xBC\xC3\x9F"
                                                        "e \xE2\x82\xAC \xF0\x9F\x98\x80");
    CHECK(escaped("") == "");
}

TEST_CASE("text escaping keeps one message on one line", "[tools]") {
    CHECK(escaped("a\nb") == "a\\nb");
    CHECK(escaped("a\r\tb") == "a\\r\\tb");
    CHECK(escaped("back\\slash") == "back\\\\slash"); // so "\n" in the output is unambiguous
    CHECK(escaped(std::string_view("\0\x01\x1b\x7f", 4)) == "\\x00\\x01\\x1b\\x7f");
}

TEST_CASE("text escaping shows bytes that are not UTF-8 as \\xHH", "[tools]") {
    CHECK(escaped("\xFF\xFE") == "\\xff\\xfe");
    CHECK(escaped("\xC3") == "\\xc3");                            // truncated sequence
    CHECK(escaped("\xC0\xAF") == "\\xc0\\xaf");                   // overlong '/'
    CHECK(escaped("\xED\xA0\x80") == "\\xed\\xa0\\x80");          // UTF-16 surrogate
    CHECK(escaped("\xF4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80"); // above U+10FFFF
    CHECK(escaped("\xC2\x85") == "\\xc2\\x85");                   // C1 control (NEL)
    CHECK(escaped("a\xE2\x82z") == "a\\xe2\\x82z");
}

TEST_CASE("hex is two lowercase digits per byte", "[tools]") {
    CHECK(hex("") == "");
    CHECK(hex("AB") == "4142");
    CHECK(hex(std::string_view("\0\xff\x10", 3)) == "00ff10");
}

TEST_CASE("text and hex join frames with the separator", "[tools]") {
    const std::vector<std::string_view> frames{"topic", "", "a\nb"};
    CHECK(format_message(frames, {}) == "topic |  | a\\nb");
    CHECK(format_message(frames, {output_format::text, "/"}) == "topic//a\\nb");
    CHECK(format_message({"AB", "C"}, {output_format::hex, " "}) == "4142 43");
    CHECK(format_message({"single"}, {}) == "single");
}

TEST_CASE("json prints one array of frame strings", "[tools]") {
    const zd::shell::format_options_t json{output_format::json};
    CHECK(format_message({"a", "b\"c"}, json) == R"(["a","b\"c"])");
    CHECK(format_message({""}, json) == R"([""])");
    CHECK(format_message({"\xFF\n"}, json) == R"(["\u00ff\n"])");
}

TEST_CASE("msgpack prints one array of decoded frames", "[tools]") {
    const zd::shell::format_options_t msgpack{output_format::msgpack};
    CHECK(format_message({"\x01", "\xA2hi"}, msgpack) == R"([1,"hi"])");
    CHECK(format_message({"hello"}, msgpack) ==
          R"([{"$invalid_msgpack":"extra bytes after the value","size":5,"hex":"68656c6c6f"}])");
}

TEST_CASE("format names parse, anything else is an error naming the value", "[tools]") {
    CHECK(zd::shell::parse_output_format("text") == output_format::text);
    CHECK(zd::shell::parse_output_format("hex") == output_format::hex);
    CHECK(zd::shell::parse_output_format("json") == output_format::json);
    CHECK(zd::shell::parse_output_format("msgpack") == output_format::msgpack);
    CHECK_THROWS_WITH(zd::shell::parse_output_format("xml"), Catch::Contains("'xml'"));
}

TEST_CASE("frame views follow a received message", "[tools]") {
    std::vector<zmq::message_t> message;
    message.emplace_back(std::string_view("one"));
    message.emplace_back(std::string_view("two"));
    CHECK(zd::shell::frame_views(message) == std::vector<std::string_view>{"one", "two"});
}

TEST_CASE("with_identity puts the sender in front: tab-separated columns or a JSON object",
          "[tools]") {
    const zd::shell::format_options_t text{output_format::text};
    const zd::shell::format_options_t json{output_format::json};
    const std::string key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
    CHECK(zd::shell::with_identity("a | b", key, "hub-a", text) == key + "\thub-a\ta | b");
    CHECK(zd::shell::with_identity("a | b", key, "", text) == key + "\t-\ta | b");
    CHECK(zd::shell::with_identity("a | b", "", "", text) == "-\t-\ta | b");
    CHECK(zd::shell::with_identity("x", "k", "two\twords", text) == "k\ttwo\\twords\tx");
    CHECK(zd::shell::with_identity(R"(["a"])", key, "hub \"a\"", json) ==
          R"({"user_id":")" + key + R"(","name":"hub \"a\"","frames":["a"]})");
    CHECK(zd::shell::with_identity(R"(["a"])", "", "", json) ==
          R"({"user_id":null,"name":null,"frames":["a"]})");
}
