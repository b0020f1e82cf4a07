// CRC32C (Castagnoli, reflected polynomial 0x82F63B78). The journal checksums every record,
// so this sits on the commit path: the SSE4.2 crc32 instruction does 8 bytes per step; the
// table fallback keeps the same values on CPUs without it.
#include "journal/crc32c.hpp"

#include <array>
#include <cstring>

namespace zd::journal {
namespace {

constexpr std::uint32_t polynomial = 0x82F63B78u;

constexpr std::array<std::uint32_t, 256> make_table() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t crc = i;
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc & 1) ? (crc >> 1) ^ polynomial : crc >> 1;
        table[i] = crc;
    }
    return table;
}

constexpr auto table = make_table();

std::uint32_t crc32c_table(std::uint32_t crc, const unsigned char* data, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i)
        crc = table[(crc ^ data[i]) & 0xFFu] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t
crc32c_sse42(std::uint32_t crc, const unsigned char* data, std::size_t size) {
    std::uint64_t crc64 = crc;
    while (size >= 8) {
        std::uint64_t word;
        std::memcpy(&word, data, 8);
        crc64 = __builtin_ia32_crc32di(crc64, word);
        data += 8;
        size -= 8;
    }
    auto crc32 = static_cast<std::uint32_t>(crc64);
    while (size > 0) {
        crc32 = __builtin_ia32_crc32qi(crc32, *data);
        ++data;
        --size;
    }
    return crc32;
}

const bool have_sse42 = __builtin_cpu_supports("sse4.2");
#endif

} // namespace

std::uint32_t crc32c(std::uint32_t crc, const void* data, std::size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    crc = ~crc;
#if defined(__x86_64__)
    if (have_sse42) return ~crc32c_sse42(crc, bytes, size);
#endif
    return ~crc32c_table(crc, bytes, size);
}

} // namespace zd::journal

namespace zd::journal {

std::uint32_t crc32c_portable(std::uint32_t crc, const void* data, std::size_t size) {
    return ~crc32c_table(~crc, static_cast<const unsigned char*>(data), size);
}

} // namespace zd::journal
