// How zd-send turns its input into messages: stdin is cut into records (one per line, or
// NUL-terminated with -0), and each record is cut into frames on the -s separator.
// The splitter is fed chunks as they are read, so a slow or endless stdin streams through
// without being read whole first.
#pragma once

#include <cstdint>
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

    // Bytes searched for the delimiter so far. Each byte fed is searched once, however the
    // input is cut into chunks (a tool's input may be one huge line read 64 KiB at a time),
    // so this never exceeds the bytes fed: splitting is linear in the input.
    std::uint64_t bytes_searched() const { return searched_total_; }

private:
    std::string take_record(std::size_t end);

    char delimiter_;
    std::string buffer_;
    std::size_t start_ = 0;    // where the unconsumed bytes begin in buffer_
    std::size_t searched_ = 0; // buffer_[start_, searched_) holds no delimiter
    std::uint64_t searched_total_ = 0;
};

// Splits a message into frames on separator. An empty separator gives one frame.
// Every occurrence separates, so "a||b" on "|" gives "a", "", "b" and "a|" gives "a", "".
std::vector<std::string> split_frames(std::string_view message, std::string_view separator);

// The same, taking the message: without a separator it becomes the one frame as it is,
// without a copy (zd-send's input may be one line of hundreds of MiB).
std::vector<std::string> take_frames(std::string message, std::string_view separator);

} // namespace zd::shell
