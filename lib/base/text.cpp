#include "base/text.hpp"

namespace zd {

namespace {
constexpr char hex_digits[] = "0123456789abcdef";

void append_escaped_byte(std::string& out, unsigned char byte, escape_style style) {
    out += style == escape_style::json ? "\\u00" : "\\x";
    out += hex_digits[byte >> 4];
    out += hex_digits[byte & 0xF];
}

// The two-character escape of c, or nullptr if c has none in this style.
const char* short_escape(char c, escape_style style) {
    switch (c) {
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    case '\\':
        return "\\\\";
    case '"':
        return style == escape_style::json ? "\\\"" : nullptr;
    default:
        return nullptr;
    }
}

// A byte that must be escaped even though it is a whole character: controls everywhere,
// DEL on a terminal.
bool is_control(unsigned char byte, escape_style style) {
    return byte < 0x20 || (byte == 0x7F && style == escape_style::terminal);
}

// C1 controls (U+0080..U+009F) are valid UTF-8 but move terminals around too.
bool is_c1_control(std::string_view text, std::size_t i, std::size_t length) {
    return length == 2 && static_cast<unsigned char>(text[i]) == 0xC2 &&
           static_cast<unsigned char>(text[i + 1]) < 0xA0;
}
} // namespace

std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
    const auto at = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
    const unsigned char lead = at(0);
    if (lead < 0x80) return 1;
    std::size_t length = 0;
    unsigned char second_low = 0x80, second_high = 0xBF; // allowed range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) second_low = 0xA0;  // no overlong forms
        if (lead == 0xED) second_high = 0x9F; // no surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) second_low = 0x90;  // no overlong forms
        if (lead == 0xF4) second_high = 0x8F; // nothing above U+10FFFF
    } else {
        return 0; // continuation byte, overlong C0/C1, or F5..FF
    }
    if (i + length > text.size()) return 0;
    if (at(1) < second_low || at(1) > second_high) return 0;
    for (std::size_t k = 2; k < length; ++k)
        if ((at(k) & 0xC0) != 0x80) return 0;
    return length;
}

void append_escaped_text(std::string& out, std::string_view text, escape_style style) {
    for (std::size_t i = 0; i < text.size();) {
        if (const char* escape = short_escape(text[i], style)) {
            out += escape;
            ++i;
            continue;
        }
        const auto byte = static_cast<unsigned char>(text[i]);
        const std::size_t length = is_control(byte, style) ? 0 : utf8_sequence_length(text, i);
        if (length == 0 || (style == escape_style::terminal && is_c1_control(text, i, length))) {
            append_escaped_byte(out, byte, style);
            ++i;
            continue;
        }
        out.append(text.substr(i, length));
        i += length;
    }
}

} // namespace zd
