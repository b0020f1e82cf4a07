#include "tools/message_format.hpp"

#include "core/json_writer.hpp"
#include "tools/msgpack_json.hpp"
#include "tools/utf8.hpp"

#include <stdexcept>
#include <zmq.hpp>

namespace zd::tools {

namespace {
constexpr char hex_digits[] = "0123456789abcdef";

void append_hex_byte(std::string& out, unsigned char byte) {
    out += hex_digits[byte >> 4];
    out += hex_digits[byte & 0xF];
}
} // namespace

output_format parse_output_format(std::string_view name) {
    if (name == "text") return output_format::text;
    if (name == "hex") return output_format::hex;
    if (name == "json") return output_format::json;
    if (name == "msgpack") return output_format::msgpack;
    throw std::invalid_argument("unknown format '" + std::string(name) +
                                "' (expected text, hex, json or msgpack)");
}

void append_escaped(std::string& out, std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const auto byte = static_cast<unsigned char>(text[i]);
        switch (byte) {
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
        case '\\':
            out += "\\\\";
            ++i;
            continue;
        default:
            break;
        }
        if (byte < 0x20 || byte == 0x7F) {
            out += "\\x";
            append_hex_byte(out, byte);
            ++i;
            continue;
        }
        const std::size_t length = utf8_sequence_length(text, i);
        // C1 controls (U+0080..U+009F) are valid UTF-8 but move terminals around too.
        const bool c1_control =
            length == 2 && byte == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0;
        if (length == 0 || c1_control) {
            out += "\\x";
            append_hex_byte(out, byte);
            ++i;
            continue;
        }
        out.append(text.substr(i, length));
        i += length;
    }
}

void append_hex(std::string& out, std::string_view bytes) {
    out.reserve(out.size() + 2 * bytes.size());
    for (const char c : bytes)
        append_hex_byte(out, static_cast<unsigned char>(c));
}

std::string format_message(const std::vector<std::string_view>& frames,
                           const format_options_t& options) {
    std::string line;
    switch (options.format) {
    case output_format::text:
    case output_format::hex:
        for (std::size_t i = 0; i < frames.size(); ++i) {
            if (i > 0) line += options.separator;
            if (options.format == output_format::text)
                append_escaped(line, frames[i]);
            else
                append_hex(line, frames[i]);
        }
        break;
    case output_format::json:
    case output_format::msgpack:
        line += '[';
        for (std::size_t i = 0; i < frames.size(); ++i) {
            if (i > 0) line += ',';
            if (options.format == output_format::json)
                append_json_string(line, frames[i]);
            else
                append_msgpack_as_json(line, frames[i]);
        }
        line += ']';
        break;
    }
    return line;
}

std::vector<std::string_view> frame_views(const std::vector<zmq::message_t>& message) {
    std::vector<std::string_view> views;
    views.reserve(message.size());
    for (const auto& frame : message)
        views.push_back(frame.to_string_view());
    return views;
}

} // namespace zd::tools
