// Helpers the journal storage tests share: a log in a temp directory, reading a whole file,
// collecting every record a cursor yields.
#pragma once

#include "journal/log.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace zd::journal::test {

inline log_options_t options_for(const std::string& dir) {
    log_options_t options;
    options.dir = dir;
    return options;
}

// Appends one single-frame record and commits it; returns its offset.
inline std::uint64_t append_one(log_t& log, const std::string& payload,
                                const std::string& producer = {}, std::uint64_t seq = 0) {
    const std::string_view frame = payload;
    const auto offset = log.append(producer, seq, std::span<const std::string_view>(&frame, 1));
    REQUIRE(offset);
    REQUIRE(log.commit().status == io_status::ok);
    return *offset;
}

// Every committed record from offset on, as "offset:payload-of-first-frame".
inline std::vector<std::string> read_all(const log_t& log, std::uint64_t from = 0) {
    std::vector<std::string> out;
    auto cursor = log.open_cursor(from);
    while (auto record = cursor->next())
        out.push_back(std::to_string(record->meta.offset) + ":" +
                      std::string(record->frames.empty() ? "" : record->frames[0]));
    return out;
}

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
}

inline std::string payload(std::uint64_t n, std::size_t size = 0) {
    std::string text = "record-" + std::to_string(n);
    if (text.size() < size) text.append(size - text.size(), char('a' + n % 26));
    return text;
}

} // namespace zd::journal::test
