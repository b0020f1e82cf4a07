// Fuzz target: how zd-send cuts its input into messages and frames (message_input.hpp).
// Input: a byte choosing the delimiter ('\n' or '\0') and seeding the chunk sizes, a byte
// giving the separator's length (0-3) and the separator, then the bytes of stdin, fed in
// chunks as reads would deliver them. Nothing may be lost, added or reordered: the records
// joined by the delimiter give back the input (less one trailing delimiter), and each
// record's frames joined by the separator give back the record.
#include "shell/message_input.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

std::string join(const std::vector<std::string>& parts, std::string_view between) {
    std::string joined;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) joined += between;
        joined += parts[i];
    }
    return joined;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const char delimiter = data[0] & 1 ? '\0' : '\n';
    std::uint32_t chunk_seed = data[0] >> 1 | 1;
    const std::size_t separator_length = std::min<std::size_t>(data[1] % 4, size - 2);
    const std::string separator(reinterpret_cast<const char*>(data) + 2, separator_length);
    const std::string_view input(reinterpret_cast<const char*>(data) + 2 + separator_length,
                                 size - 2 - separator_length);

    zd::shell::record_splitter_t splitter(delimiter);
    std::vector<std::string> records;
    for (std::size_t at = 0; at < input.size();) {
        chunk_seed = chunk_seed * 1103515245u + 12345u;
        const std::size_t chunk =
            std::min<std::size_t>(1 + (chunk_seed >> 16) % 64, input.size() - at);
        splitter.feed(input.substr(at, chunk));
        at += chunk;
        while (auto record = splitter.next())
            records.push_back(std::move(*record));
    }
    while (auto record = splitter.finish())
        records.push_back(std::move(*record));

    std::string expected(input);
    if (!expected.empty() && expected.back() == delimiter) expected.pop_back();
    if (join(records, std::string_view(&delimiter, 1)) != expected) std::abort();
    if (input.empty() != records.empty()) std::abort();

    for (const auto& record : records) {
        const auto frames = zd::shell::split_frames(record, separator);
        if (frames.empty() || join(frames, separator) != record) std::abort();
        if (separator.empty() && frames.size() != 1) std::abort();
    }
    return 0;
}
