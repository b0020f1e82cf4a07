// How the tools print a message: one line per message, frame boundaries visible, in one of
// four formats (text, hex, json, msgpack). The same code prints what zd-recv receives and
// the replies zd-send gets as a REQ client, so both tools read alike.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace zmq {
class message_t;
}

namespace zd::shell {

enum class output_format {
    text,   // frames escaped (\n, \t, \\, \xHH) and joined by the separator
    hex,    // frames as lowercase hex, joined by the separator
    json,   // one JSON array of frame strings
    msgpack // one JSON array: each frame decoded from msgpack (see msgpack_json.hpp)
};

// Maps "text", "hex", "json", "msgpack" to a format. Throws std::invalid_argument naming
// the value otherwise.
output_format parse_output_format(std::string_view name);

struct format_options_t {
    output_format format = output_format::text;
    std::string separator = " | "; // between frames, for text and hex
};

// Appends text with every byte that would break the line or the terminal escaped:
// \n \r \t \\ and \xHH for other control bytes, DEL and bytes that are not valid UTF-8.
// Valid UTF-8 (é, ü, ...) passes through, so text reads as text.
void append_escaped(std::string& out, std::string_view text);

// Appends the bytes as lowercase hex digits, two per byte, nothing between them.
void append_hex(std::string& out, std::string_view bytes);

// Formats one message (its frames in order) as one line, without the trailing newline.
// Never throws for any content (undecodable msgpack is shown inline, not raised).
std::string format_message(const std::vector<std::string_view>& frames,
                           const format_options_t& options);

// A formatted message line with who sent it in front, as the transport authenticated the
// sender (zd-recv --show-identity): text and hex lines start with the User-Id and the
// certificate name, each escaped and followed by a tab ("-" for none: a plain peer, or a key
// without a name); json and msgpack lines become {"user_id":U,"name":N,"frames":LINE} with
// null for none. Never throws.
std::string with_identity(std::string_view line, std::string_view user_id, std::string_view name,
                          const format_options_t& options);

// The frames of a received message as views (valid while the messages live).
std::vector<std::string_view> frame_views(const std::vector<zmq::message_t>& message);

} // namespace zd::shell
