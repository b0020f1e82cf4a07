// CRC32C against the RFC 3720 (iSCSI) test vectors, the hardware and table paths against each
// other, and the continuation property the record writer relies on.
#include "journal/crc32c.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

using zd::journal::crc32c;
using zd::journal::crc32c_portable;

TEST_CASE("crc32c matches the RFC 3720 test vectors", "[journal][crc32c]") {
    std::vector<std::uint8_t> bytes(32, 0);
    CHECK(crc32c(0, bytes.data(), bytes.size()) == 0x8A9136AAu);
    std::fill(bytes.begin(), bytes.end(), 0xFF);
    CHECK(crc32c(0, bytes.data(), bytes.size()) == 0x62A8AB43u);
    for (int i = 0; i < 32; ++i)
        bytes[i] = std::uint8_t(i);
    CHECK(crc32c(0, bytes.data(), bytes.size()) == 0x46DD794Eu);
    for (int i = 0; i < 32; ++i)
        bytes[i] = std::uint8_t(31 - i);
    CHECK(crc32c(0, bytes.data(), bytes.size()) == 0x113FDB5Cu);
    const std::string check = "123456789";
    CHECK(crc32c(0, check.data(), check.size()) == 0xE3069283u);
    CHECK(crc32c_portable(0, check.data(), check.size()) == 0xE3069283u);
    CHECK(crc32c(0, nullptr, 0) == 0);
}

TEST_CASE("crc32c hardware and table paths agree on every length and alignment",
          "[journal][crc32c]") {
    std::mt19937 random(42);
    std::vector<char> data(4096 + 16);
    for (auto& byte : data)
        byte = char(random());
    for (std::size_t start = 0; start < 9; ++start)
        for (std::size_t size = 0; size < 300; ++size)
            REQUIRE(crc32c(0, data.data() + start, size) ==
                    crc32c_portable(0, data.data() + start, size));
    REQUIRE(crc32c(7, data.data(), 4096) == crc32c_portable(7, data.data(), 4096));
}

TEST_CASE("crc32c continues over split input", "[journal][crc32c]") {
    const std::string text = "the journal checksums header and body in two steps";
    const auto whole = crc32c(0, text.data(), text.size());
    for (std::size_t split = 0; split <= text.size(); ++split) {
        const auto first = crc32c(0, text.data(), split);
        REQUIRE(crc32c(first, text.data() + split, text.size() - split) == whole);
    }
}
