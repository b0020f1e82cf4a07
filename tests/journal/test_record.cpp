// Record encoding: round trips from 0 B to 1 MiB, frame boundaries kept (one frame, many,
// empty ones), every single-bit flip caught, every truncation reported as such, and lengths
// checked before anything is trusted.
#include "journal/record.hpp"

#include "journal/crc32c.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

using namespace zd::journal;

namespace {

std::string random_bytes(std::size_t size, std::mt19937& random) {
    std::string bytes(size, '\0');
    for (auto& byte : bytes)
        byte = char(random());
    return bytes;
}

std::vector<char> encode(const record_meta_t& meta, const std::vector<std::string>& frames) {
    std::vector<std::string_view> views(frames.begin(), frames.end());
    std::vector<char> out;
    encode_record(out, meta, views);
    REQUIRE(out.size() == encoded_record_size(meta.producer_id, views, meta.identity));
    return out;
}

void check_round_trip(const record_meta_t& meta, const std::vector<std::string>& frames) {
    const auto bytes = encode(meta, frames);
    const auto result = decode_record(bytes);
    REQUIRE(result.status == decode_status::ok);
    CHECK(result.record.encoded_size == bytes.size());
    CHECK(result.record.meta.offset == meta.offset);
    CHECK(result.record.meta.timestamp_ns == meta.timestamp_ns);
    CHECK(result.record.meta.producer_seq == meta.producer_seq);
    CHECK(result.record.meta.producer_id == meta.producer_id);
    CHECK(result.record.meta.identity.user_id == meta.identity.user_id);
    CHECK(result.record.meta.identity.name ==
          (meta.identity.empty() ? std::string_view() : meta.identity.name));
    REQUIRE(result.record.frames.size() == frames.size());
    for (std::size_t i = 0; i < frames.size(); ++i)
        REQUIRE(result.record.frames[i] == frames[i]);
}

} // namespace

TEST_CASE("record round trip from 0 B to 1 MiB", "[journal][record]") {
    std::mt19937 random(1);
    record_meta_t meta{123456789012345ull, 1700000000123456789ll, 99, "producer-7"};
    for (std::size_t size : {0ul, 1ul, 7ul, 255ul, 256ul, 4096ul, 65537ul, 1024ul * 1024}) {
        INFO("payload " << size << " bytes");
        check_round_trip(meta, {random_bytes(size, random)});
    }
}

TEST_CASE("record keeps frame boundaries: many frames, empty frames, no producer",
          "[journal][record]") {
    std::mt19937 random(2);
    record_meta_t meta{0, 0, 0, ""};
    check_round_trip(meta, {""});
    check_round_trip(meta, {"", "", ""});
    check_round_trip(meta, {"a", "", "bc", ""});
    std::vector<std::string> many;
    for (int i = 0; i < 1000; ++i)
        many.push_back(random_bytes(std::size_t(i % 17), random));
    check_round_trip(meta, many);
    check_round_trip(record_meta_t{1, -5, ~0ull, std::string(255, 'p')}, {"x"});
}

TEST_CASE("record encoder refuses oversized bodies and producer ids", "[journal][record]") {
    std::vector<char> out;
    const std::string big(1000, 'x');
    const std::vector<std::string_view> frames{big};
    CHECK_THROWS_AS(encode_record(out, {}, frames, 999), std::length_error);
    const std::string long_id(256, 'p');
    CHECK_THROWS_AS(encode_record(out, {0, 0, 0, long_id}, frames), std::length_error);
    CHECK(out.empty());
    encode_record(out, {}, frames, 1000 + 5);
    CHECK(decode_record(out, 1005).status == decode_status::ok);
    CHECK(decode_record(out, 1004).status == decode_status::too_long);
}

TEST_CASE("every single-bit flip of an encoded record is caught", "[journal][record]") {
    std::mt19937 random(3);
    const std::vector<std::vector<std::string>> messages{
        {""},
        {"hello"},
        {"a", "", "frame three"},
        {random_bytes(300, random)},
        {random_bytes(1000, random), random_bytes(20, random)}};
    for (const auto& frames : messages) {
        const auto original = encode({42, 1700000000000000000ll, 7, "p1"}, frames);
        for (std::size_t bit = 0; bit < original.size() * 8; ++bit) {
            auto damaged = original;
            damaged[bit / 8] ^= char(1 << (bit % 8));
            const auto status = decode_record(damaged).status;
            INFO("record of " << original.size() << " bytes, bit " << bit);
            REQUIRE(status != decode_status::ok);
        }
    }
}

TEST_CASE("every truncation of a record is reported, never decoded", "[journal][record]") {
    const auto bytes = encode({5, 6, 7, "id"}, {"some", "frames", ""});
    for (std::size_t size = 0; size < bytes.size(); ++size) {
        const auto status = decode_record(std::span<const char>(bytes.data(), size)).status;
        INFO("first " << size << " bytes");
        REQUIRE(status == decode_status::truncated);
    }
}

TEST_CASE("record decoder checks lengths before trusting them", "[journal][record]") {
    auto bytes = encode({5, 6, 7, "id"}, {"payload"});
    SECTION("length above the maximum is damage, not a big record") {
        const std::uint32_t huge = max_record_body + 1;
        std::memcpy(bytes.data() + 8, &huge, 4);
        CHECK(decode_record(bytes).status == decode_status::too_long);
    }
    SECTION("garbage is not a record") {
        std::vector<char> zeros(100, 0);
        CHECK(decode_record(zeros).status == decode_status::bad_magic);
        CHECK(decode_record(std::span<const char>(zeros.data(), 2)).status ==
              decode_status::bad_magic);
    }
    SECTION("the start of the magic alone may be a torn tail") {
        CHECK(decode_record(std::span<const char>(bytes.data(), 3)).status ==
              decode_status::truncated);
    }
    SECTION("trailing bytes after a record are left alone") {
        bytes.resize(bytes.size() + 10, 'z');
        const auto result = decode_record(bytes);
        CHECK(result.status == decode_status::ok);
        CHECK(result.record.encoded_size == bytes.size() - 10);
    }
    CHECK(std::string(describe(decode_status::bad_checksum)).find("CRC") != std::string::npos);
}

// --- the authenticated identity (docs/JOURNAL.md, "On-disk format") ---

namespace {
// A CURVE User-Id: the client's public key in Z85.
constexpr std::string_view curve_user_id = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";

std::uint32_t frame_count_field(const std::vector<char>& bytes) {
    std::uint32_t field;
    std::memcpy(&field, bytes.data() + 12, 4);
    return field;
}
} // namespace

TEST_CASE("record keeps the identity that sent it, with and without a name",
          "[journal][record][identity]") {
    std::mt19937 random(4);
    record_meta_t meta{77, 1700000000000000000ll, 5, "p1", {curve_user_id, "hub-a"}};
    check_round_trip(meta, {"hello"});
    check_round_trip(meta, {"", "two", ""});
    check_round_trip(meta, {random_bytes(70000, random)});
    meta.identity.name = "";
    check_round_trip(meta, {"no name"});
    meta.producer_id = "";
    check_round_trip(meta, {"anonymous producer, known key"});
    check_round_trip(record_meta_t{1, 2, 3, "p", {std::string(255, 'u'), std::string(255, 'n')}},
                     {"largest identity"});
    const auto bytes = encode({77, 1, 5, "p1", {curve_user_id, "hub-a"}}, {"x"});
    CHECK(bytes.size() == encode({77, 1, 5, "p1"}, {"x"}).size() + 2 + curve_user_id.size() + 5);
}

TEST_CASE("a record without identity is written as before: no flag, same bytes",
          "[journal][record][identity]") {
    // A name alone is no identity: nothing is stored.
    const auto with_name_only = encode({9, 10, 11, "p", {"", "ignored"}}, {"frame"});
    const auto plain = encode({9, 10, 11, "p"}, {"frame"});
    CHECK(with_name_only == plain);
    CHECK((frame_count_field(plain) & record_flag_identity) == 0);
    const auto result = decode_record(plain);
    REQUIRE(result.status == decode_status::ok);
    CHECK(result.record.meta.identity.empty());
    CHECK(result.record.meta.identity.name.empty());
}

TEST_CASE("a record written before identities existed still reads, as no identity",
          "[journal][record][identity]") {
    // The bytes of a record as the first version of the format wrote it (offset 3,
    // timestamp 4, seq 5, producer "old", one frame "msg"), CRC32C included: frozen here so
    // a change to the encoder or decoder cannot silently change what old files mean.
    const unsigned char old_record[] = {
        0x5A, 0x44, 0x4A, 0x31, 0x2B, 0x94, 0x23, 0xA4, 0x0B, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x03, 'o',  'l',  'd',  0x03, 0x00, 0x00, 0x00, 'm',  's',  'g'};
    const std::vector<char> bytes(std::begin(old_record), std::end(old_record));
    CHECK(bytes == encode({3, 4, 5, "old"}, {"msg"})); // still written the same way
    const auto result = decode_record(bytes);
    REQUIRE(result.status == decode_status::ok);
    CHECK(result.record.meta.producer_id == "old");
    CHECK(result.record.meta.identity.empty());
    REQUIRE(result.record.frames.size() == 1);
    CHECK(result.record.frames[0] == "msg");
}

TEST_CASE("a record with identity read by the old rules does not parse",
          "[journal][record][identity]") {
    // The old decoder took the whole field as the frame count; with bit 31 set it is more
    // frames than any body can hold (4 bytes each, body at most 256 MiB), so the old rules
    // say "body does not parse" and never read the identity as frames.
    const auto bytes = encode({1, 2, 3, "p", {curve_user_id, "hub-a"}}, {"x"});
    const std::uint32_t field = frame_count_field(bytes);
    CHECK((field & record_flag_identity) != 0);
    CHECK((field & ~record_flag_identity) == 1);
    CHECK(std::uint64_t(field) > std::uint64_t(max_record_body) / 4);
}

TEST_CASE("every single-bit flip in a record with identity is caught",
          "[journal][record][identity]") {
    const auto original = encode({42, 1700000000000000000ll, 7, "p1", {curve_user_id, "hub-a"}},
                                 {"a", "", "frame three"});
    for (std::size_t bit = 0; bit < original.size() * 8; ++bit) {
        auto damaged = original;
        damaged[bit / 8] ^= char(1 << (bit % 8));
        INFO("bit " << bit);
        REQUIRE(decode_record(damaged).status != decode_status::ok);
    }
}

TEST_CASE("record identity: lengths refused and checked", "[journal][record][identity]") {
    std::vector<char> out;
    const std::vector<std::string_view> frames{"x"};
    const std::string long_field(256, 'k');
    CHECK_THROWS_AS(encode_record(out, {0, 0, 0, "p", {long_field, ""}}, frames),
                    std::length_error);
    CHECK_THROWS_AS(encode_record(out, {0, 0, 0, "p", {curve_user_id, long_field}}, frames),
                    std::length_error);
    CHECK(out.empty());
    // The identity counts in the body that max_body limits.
    const std::size_t body =
        encoded_record_size("p", frames, {curve_user_id, "n"}) - record_header_size;
    CHECK_THROWS_AS(
        encode_record(out, {0, 0, 0, "p", {curve_user_id, "n"}}, frames, std::uint32_t(body - 1)),
        std::length_error);
    encode_record(out, {0, 0, 0, "p", {curve_user_id, "n"}}, frames, std::uint32_t(body));
    CHECK(decode_record(out).status == decode_status::ok);
    // Every truncation of a record with identity is a truncation.
    for (std::size_t size = 0; size < out.size(); ++size)
        REQUIRE(decode_record(std::span<const char>(out.data(), size)).status ==
                decode_status::truncated);
}

TEST_CASE("an identity block that does not parse is damage even with a correct CRC",
          "[journal][record][identity]") {
    // A buggy or hostile writer can checksum nonsense: the flag promises a user id of at
    // least one byte, lengths must fit the body.
    auto reseal = [](std::vector<char>& bytes) {
        const std::uint32_t crc = crc32c(0, bytes.data() + 8, bytes.size() - 8);
        std::memcpy(bytes.data() + 4, &crc, 4);
    };
    const std::size_t identity_at = record_header_size + 1 + 1; // after id length and "p"
    SECTION("the flag with an empty user id") {
        auto bytes = encode({0, 1, 1, "p", {"u", ""}}, {"x"});
        // user id length 0, name length 0, then the two bytes left over as a frame length:
        // any way it is read, "no user id" under the flag is refused.
        bytes[identity_at] = 0;
        bytes[identity_at + 1] = 0;
        bytes[identity_at + 2] = 0;
        reseal(bytes);
        CHECK(decode_record(bytes).status == decode_status::bad_structure);
    }
    SECTION("a user id longer than the body") {
        auto bytes = encode({0, 1, 1, "p", {"u", ""}}, {"x"});
        bytes[identity_at] = char(200);
        reseal(bytes);
        CHECK(decode_record(bytes).status == decode_status::bad_structure);
    }
    SECTION("the flag on a record written without identity") {
        auto bytes = encode({0, 1, 1, "p"}, {"x"});
        bytes[15] = char(0x80);
        reseal(bytes);
        CHECK(decode_record(bytes).status == decode_status::bad_structure);
    }
}
