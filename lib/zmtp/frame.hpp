// ZMTP 3.x framing (RFC 23/ZMTP, 37/ZMTP): after the greeting, everything on the wire is a
// frame: a flags byte, a size (one byte, or eight in network order with the LONG flag), then
// the body. A message is one or more frames, all but the last with MORE; a command is a
// single frame with COMMAND. This is the parser a native data path (a device that speaks
// ZMTP itself instead of through libzmq's sockets) reads every byte from a peer with.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace zd::zmtp {

constexpr std::uint8_t flag_more = 0x01;
constexpr std::uint8_t flag_long = 0x02;
constexpr std::uint8_t flag_command = 0x04;

struct frame_view_t {
    std::uint8_t flags = 0;
    std::string_view body; // points into the decoded bytes

    bool more() const { return flags & flag_more; }
    bool command() const { return flags & flag_command; }
};

enum class decode_status {
    frame,     // one whole frame at the start of the bytes: see frame and consumed
    need_more, // the bytes end inside the frame's header or body
    error      // not a valid frame: the connection must be dropped (see error)
};

struct decode_result_t {
    decode_status status = decode_status::need_more;
    frame_view_t frame;
    std::size_t consumed = 0; // header + body, when status is frame
    std::string_view error;   // a static text, when status is error
    bool oversized = false;   // the error is a body over max_body
};

// Decodes the frame at the start of bytes. A frame is refused if a reserved flag bit (3-7) is
// set, a command has MORE, or its body is larger than max_body (checked from the header
// alone, before any of the body has arrived, so a peer cannot make us wait for or buffer it).
decode_result_t decode_frame(std::string_view bytes, std::uint64_t max_body);

// Appends one frame: the short size form for bodies up to 255 bytes, the long form above.
// flags may hold flag_more or flag_command; flag_long is chosen here.
void append_frame(std::string& out, std::uint8_t flags, std::string_view body);

// The header size append_frame uses for a body of this size (2 or 9 bytes).
constexpr std::size_t header_size(std::size_t body_size) {
    return body_size <= 255 ? 2 : 9;
}

} // namespace zd::zmtp
