// Fuzz target: the --config reader (lib/cli/config_file.hpp). Any text either reads into
// entries or throws config_error whose message names the file and a line of the text; nothing
// else. Entries have a trimmed, non-empty key and come from a line of the text, and a file
// made of the entries written back ("key = value") reads to the same entries.
#include "cli/config_file.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

constexpr std::string_view file_name = "fuzz.ini";

int line_count(std::string_view text) {
    return int(std::ranges::count(text, '\n')) + 1;
}

// The entries as a file for the same program, or "" when a value cannot be written plainly.
std::string written_back(const std::vector<zd::config::entry_t>& entries) {
    std::string text;
    for (const auto& entry : entries) {
        std::string value;
        if (entry.is_list) return {};
        if (entry.quoted) {
            if (entry.value.find('"') != std::string::npos) return {};
            value = '"' + entry.value + '"';
        } else {
            value = entry.value;
        }
        text += entry.key + " = " + value + "\n";
    }
    return text;
}

void check_entries(const std::vector<zd::config::entry_t>& entries, std::string_view text) {
    for (const auto& entry : entries) {
        if (entry.key.empty() || entry.key.front() == ' ' || entry.key.back() == ' ') std::abort();
        if (entry.line < 1 || entry.line > line_count(text)) std::abort();
        for (const auto& word : zd::config::split_words(entry.value))
            if (word.size() > entry.value.size()) std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto entries = zd::config::read_config(text, file_name, "zd-queue");
        check_entries(entries, text);
        const std::string again_text = written_back(entries);
        if (again_text.empty()) return 0;
        const auto again = zd::config::read_config(again_text, file_name, "zd-queue");
        if (again.size() != entries.size()) std::abort();
        for (std::size_t i = 0; i < again.size(); ++i)
            if (again[i].key != entries[i].key || again[i].value != entries[i].value) std::abort();
    } catch (const zd::config::config_error& error) {
        const std::string_view message = error.what();
        if (!message.starts_with(std::string(file_name) + ":")) std::abort();
        const int line = std::atoi(message.data() + file_name.size() + 1);
        if (line < 1 || line > line_count(text)) std::abort();
    }
    return 0;
}
