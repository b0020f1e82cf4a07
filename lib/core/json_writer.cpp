#include "core/json_writer.hpp"

#include <cstdio>

namespace zd {

namespace {

// Length of the well-formed UTF-8 sequence starting at text[i], or 0 if there is none.
// Strict (Unicode table 3-7): no overlong forms, no surrogates, nothing above U+10FFFF,
// so that strict JSON readers accept every string we write.
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
        return 0;
    }
    if (i + length > text.size()) return 0;
    if (at(1) < second_low || at(1) > second_high) return 0;
    for (std::size_t k = 2; k < length; ++k)
        if ((at(k) >> 6) != 0x2) return 0;
    return length;
}

void append_escaped_byte(std::string& out, unsigned char byte) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "\\u%04x", byte);
    out += buffer;
}

} // namespace

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    for (std::size_t i = 0; i < text.size();) {
        const char c = text[i];
        switch (c) {
        case '"':
            out += "\\\"";
            ++i;
            continue;
        case '\\':
            out += "\\\\";
            ++i;
            continue;
        case '\n':
            out += "\\n";
            ++i;
            continue;
        case '\r':
            out += "\\r";
            ++i;
            continue;
        case '\t':
            out += "\\t";
            ++i;
            continue;
        default:
            break;
        }
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20) {
            append_escaped_byte(out, byte);
            ++i;
            continue;
        }
        const std::size_t length = utf8_sequence_length(text, i);
        if (length == 0) {
            append_escaped_byte(out, byte);
            ++i;
        } else {
            out.append(text.substr(i, length));
            i += length;
        }
    }
    out += '"';
}

void json_writer_t::separate() {
    if (need_comma_) out_ += ',';
    need_comma_ = true;
}

json_writer_t& json_writer_t::begin_object() {
    separate();
    out_ += '{';
    need_comma_ = false;
    return *this;
}

json_writer_t& json_writer_t::end_object() {
    out_ += '}';
    need_comma_ = true;
    return *this;
}

json_writer_t& json_writer_t::begin_array() {
    separate();
    out_ += '[';
    need_comma_ = false;
    return *this;
}

json_writer_t& json_writer_t::end_array() {
    out_ += ']';
    need_comma_ = true;
    return *this;
}

json_writer_t& json_writer_t::key(std::string_view name) {
    separate();
    append_json_string(out_, name);
    out_ += ':';
    need_comma_ = false; // the value that follows needs no comma
    return *this;
}

json_writer_t& json_writer_t::value(std::string_view text) {
    separate();
    append_json_string(out_, text);
    return *this;
}

json_writer_t& json_writer_t::value(std::uint64_t number) {
    separate();
    out_ += std::to_string(number);
    return *this;
}

json_writer_t& json_writer_t::value(std::int64_t number) {
    separate();
    out_ += std::to_string(number);
    return *this;
}

json_writer_t& json_writer_t::value(double number) {
    separate();
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.6g", number);
    out_ += buffer;
    return *this;
}

json_writer_t& json_writer_t::value(bool flag) {
    separate();
    out_ += flag ? "true" : "false";
    return *this;
}

json_writer_t& json_writer_t::raw(std::string_view json) {
    separate();
    out_ += json;
    return *this;
}

json_writer_t& json_writer_t::null() {
    separate();
    out_ += "null";
    return *this;
}

} // namespace zd
