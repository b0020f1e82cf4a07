#include "shell/message_format.hpp"

#include "base/json_writer.hpp"
#include "base/text.hpp"
#include "shell/msgpack_json.hpp"

#include <stdexcept>
#include <zmq.hpp>

namespace zd::shell {

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
    append_escaped_text(out, text, escape_style::terminal);
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

std::string with_identity(std::string_view line, std::string_view user_id, std::string_view name,
                          const format_options_t& options) {
    std::string out;
    out.reserve(line.size() + user_id.size() + name.size() + 40);
    if (options.format == output_format::text || options.format == output_format::hex) {
        for (const std::string_view field : {user_id, name}) {
            if (field.empty())
                out += '-';
            else
                append_escaped(out, field); // a tab inside becomes \t: the columns hold
            out += '\t';
        }
        out += line;
        return out;
    }
    out += "{\"user_id\":";
    if (user_id.empty())
        out += "null";
    else
        append_json_string(out, user_id);
    out += ",\"name\":";
    if (name.empty())
        out += "null";
    else
        append_json_string(out, name);
    out += ",\"frames\":";
    out += line;
    out += '}';
    return out;
}

std::vector<std::string_view> frame_views(const std::vector<zmq::message_t>& message) {
    std::vector<std::string_view> views;
    views.reserve(message.size());
    for (const auto& frame : message)
        views.push_back(frame.to_string_view());
    return views;
}

} // namespace zd::shell
