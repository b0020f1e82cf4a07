// ZPL, line by line: each line is cut into indent, name and value; its indent says which open
// property it belongs to. The rules follow RFC 4 and CZMQ's zconfig reader (src/zconfig.c),
// which is what every existing certificate was read with.
#include "security/zpl_reader.hpp"

#include <algorithm>
#include <cctype>

namespace zd::security {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

// Characters ZPL allows in a name (zconfig's s_is_namechar).
bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '$' || c == '-' || c == '_' ||
           c == '@' || c == '.' || c == '&' || c == '+' || c == '/';
}

std::string_view trim_right(std::string_view text) {
    while (!text.empty() && is_space(text.back()))
        text.remove_suffix(1);
    return text;
}

std::string_view trim_left(std::string_view text) {
    while (!text.empty() && is_space(text.front()))
        text.remove_prefix(1);
    return text;
}

// The rest of a line after a value: nothing, or a comment.
void expect_end_of_line(std::string_view rest, int line) {
    rest = trim_left(rest);
    if (!rest.empty() && rest.front() != '#')
        throw zpl_error(line, "unexpected text '" + std::string(rest) +
                                  "' (expected end of line or a '#' comment)");
}

// The value after "name", which starts at rest: "= value", "= \"value\"", or nothing.
std::string read_value(std::string_view rest, int line) {
    rest = trim_left(rest);
    if (rest.empty() || rest.front() != '=') {
        expect_end_of_line(rest, line);
        return {};
    }
    rest = trim_left(rest.substr(1));
    if (!rest.empty() && (rest.front() == '"' || rest.front() == '\'')) {
        const char quote = rest.front();
        const auto closing = rest.find(quote, 1);
        if (closing == std::string_view::npos)
            throw zpl_error(line, std::string("missing closing ") + quote + " in the value");
        expect_end_of_line(rest.substr(closing + 1), line);
        return std::string(rest.substr(1, closing - 1));
    }
    // A bare value runs to a comment; no Z85 key can be written bare if it holds a '#'.
    return std::string(trim_right(rest.substr(0, rest.find('#'))));
}

struct parsed_line_t {
    int level = 0;
    std::string name; // empty: a blank or comment line
    std::string value;
};

parsed_line_t parse_line(std::string_view text, int line) {
    if (text.find('\0') != std::string_view::npos)
        throw zpl_error(line, "a NUL byte (not a text file?)");
    text = trim_right(text);
    parsed_line_t parsed;
    const auto indent = std::min(text.find_first_not_of(' '), text.size());
    const std::string_view rest = text.substr(indent);
    if (rest.empty() || rest.front() == '#') return parsed; // blank or comment line
    if (rest.front() == '\t') throw zpl_error(line, "a tab in the indent (indent with 4 spaces)");
    if (indent % 4 != 0)
        throw zpl_error(line, "indented by " + std::to_string(indent) +
                                  " spaces (indent in steps of 4 spaces)");
    parsed.level = int(indent / 4);
    const auto name_length =
        std::size_t(std::find_if_not(rest.begin(), rest.end(), is_name_char) - rest.begin());
    parsed.name = std::string(rest.substr(0, name_length));
    if (parsed.name.empty())
        throw zpl_error(line,
                        "'" + std::string(rest) + "' is not a property (expected name = value)");
    if (parsed.name.front() == '/' || parsed.name.back() == '/')
        throw zpl_error(line, "name '" + parsed.name + "' starts or ends with '/'");
    parsed.value = read_value(rest.substr(name_length), line);
    return parsed;
}

// Splits text at LF, CRLF or a lone CR (RFC 4 accepts all three).
std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\n' && text[i] != '\r') continue;
        lines.push_back(text.substr(start, i - start));
        if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
        start = i + 1;
    }
    if (start < text.size()) lines.push_back(text.substr(start));
    return lines;
}

} // namespace

std::vector<zpl_node_t> read_zpl(std::string_view text) {
    std::vector<zpl_node_t> top;
    // open[d] is the list new properties of level d go into: the children of the last
    // property of level d - 1.
    std::vector<std::vector<zpl_node_t>*> open{&top};
    int line_number = 0;
    for (const std::string_view text_line : split_lines(text)) {
        ++line_number;
        parsed_line_t parsed = parse_line(text_line, line_number);
        if (parsed.name.empty()) continue;
        if (parsed.level >= int(open.size()))
            throw zpl_error(line_number, "indented deeper than the property above it allows");
        if (parsed.level >= zpl_max_depth)
            throw zpl_error(line_number, "properties nested more than " +
                                             std::to_string(zpl_max_depth) + " deep");
        open.resize(std::size_t(parsed.level) + 1);
        auto& siblings = *open.back();
        siblings.push_back({std::move(parsed.name), std::move(parsed.value), line_number, {}});
        open.push_back(&siblings.back().children);
    }
    return top;
}

} // namespace zd::security
