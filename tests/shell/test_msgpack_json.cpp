// msgpack -> JSON for zd-recv --format msgpack: every type, and bad input that must never
// crash the tool (truncated, malformed, forged sizes, deep nesting).
#include "shell/msgpack_json.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <msgpack.hpp>
#include <vector>

namespace {

std::string json_of(std::string_view frame, bool expect_valid = true) {
    std::string out;
    CHECK(zd::shell::append_msgpack_as_json(out, frame) == expect_valid);
    return out;
}

template <typename T>
std::string packed(const T& value) {
    msgpack::sbuffer buffer;
    msgpack::pack(buffer, value);
    return std::string(buffer.data(), buffer.size());
}

} // namespace

TEST_CASE("msgpack scalars become JSON scalars", "[tools][msgpack]") {
    CHECK(json_of(packed(msgpack::type::nil_t())) == "null");
    CHECK(json_of(packed(true)) == "true");
    CHECK(json_of(packed(false)) == "false");
    CHECK(json_of(packed(0)) == "0");
    CHECK(json_of(packed(127)) == "127");
    CHECK(json_of(packed(-1)) == "-1");
    CHECK(json_of(packed(-32)) == "-32");
    CHECK(json_of(packed(std::numeric_limits<std::uint64_t>::max())) == "18446744073709551615");
    CHECK(json_of(packed(std::numeric_limits<std::int64_t>::min())) == "-9223372036854775808");
    CHECK(json_of(packed(1.5)) == "1.5");
    CHECK(json_of(packed(0.1f)) == "0.1"); // float32 printed at float precision
    CHECK(json_of(packed(std::nan(""))) == "\"NaN\"");
    CHECK(json_of(packed(-std::numeric_limits<double>::infinity())) == "\"-Infinity\"");
}

TEST_CASE("msgpack strings become JSON strings, escaped", "[tools][msgpack]") {
    CHECK(json_of(packed(std::string("hello"))) == "\"hello\"");
    CHECK(json_of(packed(std::string("a\"b\n"))) == R"("a\"b\n")");
    CHECK(json_of(packed(std::string(""))) == "\"\"");
    CHECK(json_of(packed(std::string("\xFF"))) == R"("\u00ff")");
}

TEST_CASE("msgpack binary and ext become tagged hex objects", "[tools][msgpack]") {
    const std::vector<char> bytes{'\x00', '\x01', '\xFF'};
    CHECK(json_of(packed(bytes)) == R"({"$bin":"0001ff"})");
    CHECK(json_of(std::string_view("\xD4\x05\xAB", 3)) == R"({"$ext":5,"hex":"ab"})");
}

TEST_CASE("msgpack arrays and maps nest", "[tools][msgpack]") {
    CHECK(json_of(packed(std::vector<int>{1, 2, 3})) == "[1,2,3]");
    CHECK(json_of(packed(std::vector<int>{})) == "[]");
    const std::map<std::string, std::vector<int>> map{{"a", {1}}, {"b", {}}};
    CHECK(json_of(packed(map)) == R"({"a":[1],"b":[]})");
    // Keys that are not strings become their JSON text.
    CHECK(json_of(packed(std::map<int, bool>{{1, true}, {-2, false}})) ==
          R"({"-2":false,"1":true})");
    CHECK(json_of(std::string_view("\x81\x92\x01\x02\xC0", 5)) == R"({"[1,2]":null})");
}

TEST_CASE("frames that are not one msgpack value are shown, not raised", "[tools][msgpack]") {
    CHECK(json_of("", false) == R"({"$invalid_msgpack":"empty frame","size":0,"hex":""})");
    CHECK(json_of("\xC1", false) == R"({"$invalid_msgpack":"malformed","size":1,"hex":"c1"})");
    CHECK(json_of("\x92\x01", false) ==
          R"({"$invalid_msgpack":"truncated","size":2,"hex":"9201"})");
    CHECK(json_of("\xA5hel", false) ==
          R"({"$invalid_msgpack":"truncated","size":4,"hex":"a568656c"})");
    CHECK(json_of("\x01\x02", false) ==
          R"({"$invalid_msgpack":"extra bytes after the value","size":2,"hex":"0102"})");
}

TEST_CASE("forged sizes are refused before anything is allocated", "[tools][msgpack]") {
    // array32 / map32 / bin32 claiming 4 billion elements in a 6-byte frame
    for (const char lead : {'\xDD', '\xDF', '\xC6'}) {
        const std::string frame = std::string(1, lead) + "\xFF\xFF\xFF\xFF\x01";
        const std::string json = json_of(frame, false);
        CHECK_THAT(json, Catch::StartsWith(R"({"$invalid_msgpack":)"));
    }
}

TEST_CASE("deep nesting is refused, not recursed into", "[tools][msgpack]") {
    const std::string deep(100000, '\x91'); // [[[[...
    const std::string json = json_of(deep + '\x01', false);
    CHECK_THAT(json, Catch::Contains("nested too deep"));
    CHECK_THAT(json, Catch::Contains("\"size\":100001"));
    CHECK_THAT(json, Catch::EndsWith("...\"}")); // long frames show only their head

    const std::string shallow = std::string(200, '\x91') + '\x01';
    CHECK(json_of(shallow) == std::string(200, '[') + "1" + std::string(200, ']'));
}

TEST_CASE("map keys nested in map keys cannot blow the output up", "[tools][msgpack]") {
    // {{{...{"\"": nil}: nil}...: nil}: each level's key is the map below it, and each level
    // escapes the quotes and backslashes of the one inside again: the text doubles per level.
    std::string frame = "\xA1\"";
    for (int level = 0; level < 60; ++level)
        frame = "\x81" + frame + "\xC0";
    frame = "\x81" + frame + "\xC0";
    const std::string json = json_of(frame, false);
    CHECK_THAT(json, Catch::StartsWith(R"({"$invalid_msgpack":"too large as JSON)"));
    CHECK(json.size() < 1024);

    // A few levels are fine and still readable.
    CHECK(json_of("\x81\x81\xA1\"\xC0\xC0") == R"({"{\"\\\"\":null}":null})");
}
