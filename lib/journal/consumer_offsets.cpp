// DIR/consumers: the named consumers' offsets (see consumer_offsets.hpp). Layout, little-endian:
//   "ZDC1" | CRC32C of everything after this field (u32) | count (u32) |
//   count x (name length u16 | name | next offset u64)
// Replaced atomically: temp file, fsync, rename over, fsync the directory.
#include "journal/consumer_offsets.hpp"

#include "journal/crc32c.hpp"
#include "journal/segment.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace zd::journal {
namespace {

constexpr char magic[4] = {'Z', 'D', 'C', '1'};
constexpr std::size_t max_name = 0xFFFF;

template <typename T>
void put(std::vector<char>& out, T value) {
    for (std::size_t i = 0; i < sizeof(T); ++i)
        out.push_back(char((std::uint64_t(value) >> (8 * i)) & 0xFF));
}

template <typename T>
bool take(const std::vector<char>& in, std::size_t& at, T& value) {
    if (in.size() - at < sizeof(T)) return false;
    std::uint64_t result = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
        result |= std::uint64_t(std::uint8_t(in[at + i])) << (8 * i);
    value = T(result);
    at += sizeof(T);
    return true;
}

} // namespace

consumer_table_t load_consumer_offsets(const std::filesystem::path& dir) {
    const auto path = dir / "consumers";
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        if (!std::filesystem::exists(path)) return {};
        throw std::runtime_error("cannot read " + path.string());
    }
    const std::vector<char> bytes(std::istreambuf_iterator<char>(file), {});
    const auto damaged = [&](const std::string& what) {
        return std::runtime_error(path.string() + " is damaged: " + what);
    };
    if (bytes.size() < 12 || std::memcmp(bytes.data(), magic, 4) != 0)
        throw damaged("no ZDC1 header");
    std::size_t at = 4;
    std::uint32_t crc = 0, count = 0;
    take(bytes, at, crc);
    if (crc32c(0, bytes.data() + 8, bytes.size() - 8) != crc) throw damaged("CRC32C mismatch");
    take(bytes, at, count);
    consumer_table_t table;
    for (std::uint32_t i = 0; i < count; ++i) {
        std::uint16_t size = 0;
        std::uint64_t offset = 0;
        if (!take(bytes, at, size) || bytes.size() - at < size)
            throw damaged("truncated entry " + std::to_string(i));
        std::string name(bytes.data() + at, size);
        at += size;
        if (!take(bytes, at, offset)) throw damaged("truncated entry " + std::to_string(i));
        table[std::move(name)] = offset;
    }
    if (at != bytes.size()) throw damaged("trailing bytes");
    return table;
}

void store_consumer_offsets(const std::filesystem::path& dir, const consumer_table_t& table) {
    std::vector<char> bytes(magic, magic + 4);
    put<std::uint32_t>(bytes, 0); // CRC, filled in below
    put<std::uint32_t>(bytes, std::uint32_t(table.size()));
    for (const auto& [name, offset] : table) {
        if (name.size() > max_name)
            throw std::length_error("consumer name longer than 65535 bytes");
        put<std::uint16_t>(bytes, std::uint16_t(name.size()));
        bytes.insert(bytes.end(), name.begin(), name.end());
        put<std::uint64_t>(bytes, offset);
    }
    const std::uint32_t crc = crc32c(0, bytes.data() + 8, bytes.size() - 8);
    for (std::size_t i = 0; i < 4; ++i)
        bytes[4 + i] = char((crc >> (8 * i)) & 0xFF);

    const auto path = dir / "consumers";
    const auto temporary = dir / "consumers.tmp";
    {
        const file_t file = file_t::open(temporary, O_WRONLY | O_CREAT | O_TRUNC);
        if (const int error = write_all(file.get(), bytes.data(), bytes.size()))
            throw std::system_error(error, std::generic_category(),
                                    "cannot write " + temporary.string());
        if (::fsync(file.get()) != 0)
            throw std::system_error(errno, std::generic_category(),
                                    "cannot sync " + temporary.string());
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0)
        throw std::system_error(errno, std::generic_category(),
                                "cannot rename " + temporary.string() + " to " + path.string());
    sync_directory(dir);
}

} // namespace zd::journal
