// How zd-send turns its input into messages: stdin is cut into records (one per line, or
// NUL-terminated with -0), and each record is cut into frames on the -s separator.
// The splitter is fed chunks as they are read, so a slow or endless stdin streams through
// without being read whole first.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zd::shell {

class record_splitter_t {
public:
    // delimiter: '\n' for lines, '\0' for -0. The delimiter is not part of the record.
    explicit record_splitter_t(char delimiter) : delimiter_(delimiter) {}

    // Adds bytes read from the input.
    void feed(std::string_view bytes);

    // The next complete record, or nothing until more bytes are fed.
    std::optional<std::string> next();

    // At end of input: the last record if it had no delimiter after it ("a\nb" gives "b";
    // "a\n" gives nothing more, so a trailing newline never makes an empty message).
    std::optional<std::string> finish();

private:
    char delimiter_;
    std::string buffer_;
    std::size_t start_ = 0; // where the unconsumed bytes begin in buffer_
};

// Splits a message into frames on separator. An empty separator gives one frame.
// Every occurrence separates, so "a||b" on "|" gives "a", "", "b" and "a|" gives "a", "".
std::vector<std::string> split_frames(std::string_view message, std::string_view separator);

} // namespace zd::shell
