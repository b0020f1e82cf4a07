// How zd-send cuts stdin into messages and messages into frames.
#include "shell/message_input.hpp"

#include <catch2/catch.hpp>

using zd::shell::record_splitter_t;
using zd::shell::split_frames;

namespace {
std::vector<std::string> records_of(char delimiter, const std::vector<std::string_view>& chunks) {
    record_splitter_t splitter(delimiter);
    std::vector<std::string> records;
    for (const auto chunk : chunks) {
        splitter.feed(chunk);
        while (auto record = splitter.next())
            records.push_back(*record);
    }
    while (auto record = splitter.finish())
        records.push_back(*record);
    return records;
}
using strings = std::vector<std::string>;
} // namespace

TEST_CASE("lines become messages, a trailing newline adds none", "[tools]") {
    CHECK(records_of('\n', {"a\nb\n"}) == strings{"a", "b"});
    CHECK(records_of('\n', {"a\nb"}) == strings{"a", "b"}); // last line without newline
    CHECK(records_of('\n', {""}) == strings{});
    CHECK(records_of('\n', {"\n"}) == strings{""}); // an empty line is an empty message
    CHECK(records_of('\n', {"a\n\nb\n"}) == strings{"a", "", "b"});
    CHECK(records_of('\n', {"a\r\n"}) == strings{"a\r"}); // bytes are kept as they are
}

TEST_CASE("records may arrive split across reads", "[tools]") {
    CHECK(records_of('\n', {"hel", "lo\nwor", "ld\n", "", "x"}) == strings{"hello", "world", "x"});
    std::vector<std::string_view> bytes;
    const std::string text = "one\ntwo\nthree\n";
    for (std::size_t i = 0; i < text.size(); ++i)
        bytes.push_back(std::string_view(text).substr(i, 1));
    CHECK(records_of('\n', bytes) == strings{"one", "two", "three"});
}

TEST_CASE("NUL-terminated records (-0) may hold newlines", "[tools]") {
    using namespace std::string_view_literals;
    CHECK(records_of('\0', {"a\nb\0c\0"sv}) == strings{"a\nb", "c"});
    CHECK(records_of('\0', {"x\0"sv, "y"sv}) == strings{"x", "y"});
    CHECK(records_of('\0', {"line\n"sv}) == strings{"line\n"});
}

TEST_CASE("many records stream through without the buffer growing", "[tools]") {
    record_splitter_t splitter('\n');
    std::size_t count = 0;
    for (int i = 0; i < 100000; ++i) {
        splitter.feed("record\n");
        while (splitter.next())
            ++count;
    }
    CHECK(count == 100000);
    CHECK_FALSE(splitter.finish());
}

TEST_CASE("the separator splits a message into frames", "[tools]") {
    CHECK(split_frames("a|b|c", "|") == strings{"a", "b", "c"});
    CHECK(split_frames("a||b", "|") == strings{"a", "", "b"});
    CHECK(split_frames("a|", "|") == strings{"a", ""});
    CHECK(split_frames("|", "|") == strings{"", ""});
    CHECK(split_frames("", "|") == strings{""});
    CHECK(split_frames("no separator", "|") == strings{"no separator"});
    CHECK(split_frames("key :: value :: x", " :: ") == strings{"key", "value", "x"});
    CHECK(split_frames("a|b", "") == strings{"a|b"}); // no -s: one frame
}

// Regression: a 128 MiB line took 22 s, because every chunk read searched the whole line
// received so far again (quadratic). Each byte must be searched once.
TEST_CASE("a long line read in small chunks is searched once, not once per chunk", "[tools]") {
    record_splitter_t splitter('\n');
    const std::string chunk(4096, 'x');
    constexpr int chunks = 2048; // an 8 MiB line
    for (int i = 0; i < chunks; ++i) {
        splitter.feed(chunk);
        CHECK_FALSE(splitter.next());
    }
    splitter.feed("\nnext");
    const auto line = splitter.next();
    REQUIRE(line);
    CHECK(line->size() == chunk.size() * chunks);
    CHECK(splitter.finish() == std::optional<std::string>("next"));
    const std::uint64_t fed = chunk.size() * chunks + 5;
    CHECK(splitter.bytes_searched() <= fed);
}

TEST_CASE("take_frames splits like split_frames and keeps a one-frame message whole", "[tools]") {
    CHECK(zd::shell::take_frames("a||b", "|") == strings{"a", "", "b"});
    CHECK(zd::shell::take_frames("a|b", "") == strings{"a|b"});
    std::string big(1 << 20, 'x');
    const char* const data = big.data();
    const auto frames = zd::shell::take_frames(std::move(big), "");
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].data() == data); // moved, not copied
}
