#include "core/json_writer.hpp"

#include <cstdio>

namespace zd {

namespace {

// Length of the valid UTF-8 sequence starting at text[i], or 0 if it is not valid.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = byte < 0x80           ? 1
                         : (byte >> 5) == 0x6  ? 2
                         : (byte >> 4) == 0xE  ? 3
                         : (byte >> 3) == 0x1E ? 4
                                               : 0;
    if (length == 0 || i + length > text.size()) return 0;
    for (std::size_t k = 1; k < length; ++k)
        if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) return 0;
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
