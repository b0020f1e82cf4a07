// The --config file format, read without CLI11 (so it is unit-tested and fuzzed alone): INI
// lines "key = value", comments (# or ;), and "[zd-queue]" sections naming the program a key
// is for, so one file can serve several devices. Keys outside any section apply to every
// program, keys in a program's own section apply to it (and win over the same key outside),
// other programs' sections are skipped but still checked. Every mistake is an error naming
// the file and the line: a line that is none of these, a section that names no zdevices
// program, a key given twice in one section. Whether a key is a known option is for the
// caller to say (cli/config_format.hpp).
#pragma once

#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace zd::config {

// A mistake in a configuration file; what() is "FILE:LINE: what is wrong".
class config_error : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// One "key = value" line that applies to the program.
struct entry_t {
    std::string key;                // as written, e.g. "hwm"
    std::string value;              // without its quotes, if it had any
    bool quoted = false;            // "..." or '...': one value even with spaces in it
    std::vector<std::string> items; // "[a, b]": the items, unquoted (value is then empty)
    bool is_list = false;           // written as [a, b]
    int line = 0;                   // 1-based
};

// The programs a section may name: every device and tool of zdevices.
std::span<const std::string_view> program_names();

// Reads a configuration file's text (file_name only for messages) for program and returns
// the entries that apply to it, in the order of the file (a key of program's own section in
// the place of the same key outside any section). Throws config_error.
std::vector<entry_t> read_config(std::string_view text, std::string_view file_name,
                                 std::string_view program);

// Splits an unquoted value into words at blanks; a word in "..." or '...' keeps its blanks.
// (How a value is given to an option that takes several, e.g. a command and its arguments.)
std::vector<std::string> split_words(std::string_view value);

// "FILE:LINE: what", the form of every error about a configuration line.
std::string at_line(std::string_view file_name, int line, std::string_view what);

} // namespace zd::config
