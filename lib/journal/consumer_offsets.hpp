// Durable offsets of named consumers: one small file, DIR/consumers, replaced atomically
// (write DIR/consumers.tmp, fsync it, rename over, fsync the directory) so a crash at any
// moment leaves either the old or the new table, never a mix. Layout: docs/JOURNAL.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace zd::journal {

// name -> the first offset the consumer has NOT acknowledged (where it resumes).
using consumer_table_t = std::map<std::string, std::uint64_t, std::less<>>;

// The entry a plain PUSH/PUB backend keeps its position under: how far records were handed
// to the socket. Consumer names cannot hold a space (docs/JOURNAL.md), so no client's name
// can collide with it.
inline constexpr std::string_view plain_backend_entry = "zd-journal plain backend";

// Reads DIR/consumers. A missing file is an empty table. Throws std::runtime_error naming
// the file when it exists but is damaged (bad magic, CRC, truncated).
consumer_table_t load_consumer_offsets(const std::filesystem::path& dir);

// Replaces DIR/consumers with table, durably. Throws std::system_error on I/O errors.
void store_consumer_offsets(const std::filesystem::path& dir, const consumer_table_t& table);

} // namespace zd::journal
