// A reader for ZPL (ZeroMQ RFC 4/ZPL), the text format of CZMQ's certificates: one
// "name = value" per line, nesting by indentation in steps of 4 spaces, '#' comments. It
// accepts what CZMQ's zconfig accepts (quoted or bare values, CRLF or CR line ends) and
// refuses, with a line number, what zconfig refuses, so a file reads the same on both sides.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace zd::security {

// One property: a section is a property whose children are indented under it.
struct zpl_node_t {
    std::string name;
    std::string value;                // "" for a bare name (a section)
    int line = 0;                     // 1-based line of the text
    std::vector<zpl_node_t> children; // in file order
};

// A line the reader refuses: its number and why (without the file name).
class zpl_error : public std::runtime_error {
public:
    zpl_error(int line, const std::string& reason) : std::runtime_error(reason), line_(line) {}
    int line() const { return line_; }

private:
    int line_;
};

// Properties nest at most this deep (certificates use 2): bounds the tree on hostile input.
constexpr int zpl_max_depth = 8;

// The top-level properties of text. Throws zpl_error for the first line that is not ZPL: an
// indent that is not a multiple of 4 spaces or skips a level, a tab in the indent, a name with
// characters outside [A-Za-z0-9$-_@.&+/] or starting or ending with '/', a missing closing
// quote, text after a value, a NUL byte.
std::vector<zpl_node_t> read_zpl(std::string_view text);

} // namespace zd::security
