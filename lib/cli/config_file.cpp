#include "cli/config_file.hpp"

#include <algorithm>
#include <array>
#include <map>

namespace zd::config {

namespace {

constexpr std::array<std::string_view, 14> programs = {
    "zd-queue",   "zd-forwarder", "zd-streamer",      "zd-broker",      "zd-journal",
    "zd-titanic", "zd-send",      "zd-recv",          "zd-ctl",         "zd-call",
    "zd-worker",  "zd-bench",     "zd-journal-bench", "zd-journal-tool"};

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\f\v");
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(" \t\r\f\v");
    return text.substr(first, last - first + 1);
}

bool is_quote(char c) {
    return c == '"' || c == '\'';
}

// Sets out to text without its quotes and returns true if text is one quoted string.
bool unquote(std::string_view text, std::string& out) {
    if (text.size() >= 2 && is_quote(text.front()) && text.back() == text.front()) {
        out = std::string(text.substr(1, text.size() - 2));
        return true;
    }
    return false;
}

// The items of a list's inside ("a, 'b, c', d"), unquoted; a comma inside quotes is text.
std::vector<std::string> list_items(std::string_view inside) {
    std::vector<std::string> items;
    while (!trim(inside).empty()) {
        inside = trim(inside);
        std::size_t end = 0; // where this item's text ends (at its comma or the end)
        if (is_quote(inside.front())) {
            const auto close = inside.find(inside.front(), 1);
            end = close == std::string_view::npos ? inside.size() : close + 1;
        }
        end = std::min(inside.find(',', end), inside.size());
        const std::string_view item = trim(inside.substr(0, end));
        std::string value;
        items.push_back(unquote(item, value) ? value : std::string(item));
        inside = end == inside.size() ? std::string_view() : inside.substr(end + 1);
    }
    return items;
}

std::string program_list() {
    std::string list;
    for (const auto name : programs)
        list += (list.empty() ? "" : ", ") + std::string(name);
    return list;
}

// The entries of one section, with where each key was first given.
struct section_t {
    std::vector<entry_t> entries;
    std::map<std::string, int, std::less<>> lines;
};

class reader_t {
public:
    reader_t(std::string_view file_name, std::string_view program)
        : file_name_(file_name), program_(program) {}

    void read_line(std::string_view raw, int number) {
        const std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#' || line.front() == ';') return;
        if (line.front() == '[') return open_section(line, number);
        const auto equals = line.find('=');
        if (equals == std::string_view::npos)
            fail(number, "expected 'key = value', '[program]' or a comment (# or ;), not '" +
                             std::string(line) + "'");
        entry_t entry = parse_value(trim(line.substr(equals + 1)), number);
        entry.key = std::string(trim(line.substr(0, equals)));
        entry.line = number;
        if (entry.key.empty()) fail(number, "no option name before '='");
        add(std::move(entry));
    }

    // The global entries, each replaced by the same key of the program's own section, then
    // the keys only the own section has.
    std::vector<entry_t> result() && {
        std::vector<entry_t> entries = std::move(global_.entries);
        for (auto& own : own_.entries) {
            const auto same = std::ranges::find(entries, own.key, &entry_t::key);
            if (same != entries.end())
                *same = std::move(own);
            else
                entries.push_back(std::move(own));
        }
        return entries;
    }

private:
    [[noreturn]] void fail(int line, std::string_view what) const {
        throw config_error(at_line(file_name_, line, what));
    }

    void open_section(std::string_view line, int number) {
        if (line.back() != ']')
            fail(number, "a section is written '[program]', not '" + std::string(line) + "'");
        const std::string_view name = trim(line.substr(1, line.size() - 2));
        if (name != program_ && std::ranges::find(programs, name) == programs.end())
            fail(number, "unknown section '[" + std::string(name) +
                             "]': a section names a zdevices program (" + program_list() + ")");
        current_ = name == program_ ? &own_ : &others_[std::string(name)];
    }

    entry_t parse_value(std::string_view text, int number) const {
        entry_t entry;
        if (!text.empty() && is_quote(text.front())) {
            if (!unquote(text, entry.value))
                fail(number, "unterminated quote in '" + std::string(text) + "'");
            entry.quoted = true;
        } else if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
            entry.is_list = true;
            entry.items = list_items(text.substr(1, text.size() - 2));
        } else {
            entry.value = std::string(text);
        }
        return entry;
    }

    void add(entry_t entry) {
        const auto [first, inserted] = current_->lines.emplace(entry.key, entry.line);
        if (!inserted)
            fail(entry.line, "'" + entry.key + "' given twice (also on line " +
                                 std::to_string(first->second) + ")");
        current_->entries.push_back(std::move(entry));
    }

    std::string_view file_name_;
    std::string_view program_;
    section_t global_;                        // keys before any section: every program's
    section_t own_;                           // [program]
    std::map<std::string, section_t> others_; // other programs' sections: checked, unused
    section_t* current_ = &global_;
};

} // namespace

std::span<const std::string_view> program_names() {
    return programs;
}

std::string at_line(std::string_view file_name, int line, std::string_view what) {
    return std::string(file_name) + ":" + std::to_string(line) + ": " + std::string(what);
}

std::vector<entry_t> read_config(std::string_view text, std::string_view file_name,
                                 std::string_view program) {
    reader_t reader(file_name, program);
    int number = 0;
    while (!text.empty()) {
        const auto end = text.find('\n');
        reader.read_line(text.substr(0, end), ++number);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    }
    return std::move(reader).result();
}

std::vector<std::string> split_words(std::string_view value) {
    std::vector<std::string> words;
    std::size_t at = 0;
    while (at < value.size()) {
        while (at < value.size() && (value[at] == ' ' || value[at] == '\t'))
            ++at;
        if (at == value.size()) break;
        std::string word;
        if (is_quote(value[at])) {
            const char quote = value[at];
            const auto close = value.find(quote, at + 1);
            const auto end = close == std::string_view::npos ? value.size() : close;
            word = std::string(value.substr(at + 1, end - at - 1));
            at = close == std::string_view::npos ? value.size() : close + 1;
        } else {
            const auto end = value.find_first_of(" \t", at);
            word = std::string(value.substr(at, end == std::string_view::npos ? end : end - at));
            at = end == std::string_view::npos ? value.size() : end;
        }
        words.push_back(std::move(word));
    }
    return words;
}

} // namespace zd::config
