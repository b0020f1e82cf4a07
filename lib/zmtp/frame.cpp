#include "zmtp/frame.hpp"

namespace zd::zmtp {

decode_result_t decode_frame(std::string_view bytes, std::uint64_t max_body) {
    decode_result_t result;
    if (bytes.empty()) return result;
    const auto flags = static_cast<std::uint8_t>(bytes[0]);
    const auto refuse = [&result](std::string_view why) {
        result.status = decode_status::error;
        result.error = why;
        return result;
    };
    if (flags & 0xF8) return refuse("reserved flag bits set");
    if ((flags & flag_command) && (flags & flag_more)) return refuse("a command with MORE");
    const std::size_t header = flags & flag_long ? 9 : 2;
    if (bytes.size() < header) return result;
    std::uint64_t size = 0;
    for (std::size_t i = 1; i < header; ++i)
        size = size << 8 | static_cast<std::uint8_t>(bytes[i]);
    if (size > max_body) {
        result.oversized = true;
        return refuse("frame larger than the limit");
    }
    if (bytes.size() - header < size) return result;
    result.status = decode_status::frame;
    result.frame = {flags, bytes.substr(header, std::size_t(size))};
    result.consumed = header + std::size_t(size);
    return result;
}

void append_frame(std::string& out, std::uint8_t flags, std::string_view body) {
    const std::uint64_t size = body.size();
    if (size <= 255) {
        out += char(flags & ~flag_long);
        out += char(size);
    } else {
        out += char(flags | flag_long);
        for (int shift = 56; shift >= 0; shift -= 8)
            out += char((size >> shift) & 0xFF);
    }
    out += body;
}

} // namespace zd::zmtp
