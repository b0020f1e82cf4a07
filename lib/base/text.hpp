// Text that reaches a reader: strict UTF-8 validation and the one escaper every writer of
// text uses (the JSON writer, the tools' text output). Valid UTF-8 passes through as text,
// every other byte is escaped, so what we print is exactly what a UTF-8 terminal or a
// strict JSON reader accepts.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace zd {

// Length (1 to 4) of the well-formed UTF-8 sequence starting at text[i], or 0 if there is
// none. Strict (Unicode table 3-7): no overlong forms, no surrogates, nothing above
// U+10FFFF.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);

// Where escaped text goes, which decides what must be escaped and how.
enum class escape_style {
    json,     // inside a JSON string: '"' escaped too, other bytes as \u00XX
    terminal, // a line of text: DEL and C1 controls escaped too, other bytes as \xXX
};

// Appends text to out with \n, \r, \t and \\ written as such, control characters, bytes
// that are not well-formed UTF-8 (and the style's extras) escaped one byte at a time.
void append_escaped_text(std::string& out, std::string_view text, escape_style style);

} // namespace zd
