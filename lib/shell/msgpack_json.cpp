#include "shell/msgpack_json.hpp"

#include "base/json_writer.hpp"
#include "shell/message_format.hpp"

#include <charconv>
#include <cmath>
#include <msgpack.hpp>

namespace zd::shell {

namespace {

constexpr std::size_t max_depth = 256;        // deeper input is refused, not recursed into
constexpr std::size_t invalid_hex_bytes = 64; // how much of a bad frame we show

template <typename Number>
void append_float(std::string& out, Number value) {
    if (std::isnan(value)) {
        out += "\"NaN\"";
        return;
    }
    if (std::isinf(value)) {
        out += value > 0 ? "\"Infinity\"" : "\"-Infinity\"";
        return;
    }
    char buffer[64];
    // Shortest text that reads back as the same value; float32 keeps float precision.
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, result.ptr);
}

// Map keys that are not strings become their JSON text, escaped as a string; a key nested
// in such a key is escaped again at every level, so a few hundred bytes of keys inside keys
// would grow into gigabytes of JSON. Every string the renderer builds is therefore capped.
struct output_too_large {};

class renderer_t {
public:
    explicit renderer_t(std::size_t max_bytes) : max_bytes_(max_bytes) {}

    void append_value(std::string& out, const msgpack::object& object) {
        switch (object.type) {
        case msgpack::type::NIL:
            out += "null";
            break;
        case msgpack::type::BOOLEAN:
            out += object.via.boolean ? "true" : "false";
            break;
        case msgpack::type::POSITIVE_INTEGER:
            out += std::to_string(object.via.u64);
            break;
        case msgpack::type::NEGATIVE_INTEGER:
            out += std::to_string(object.via.i64);
            break;
        case msgpack::type::FLOAT32:
            append_float(out, static_cast<float>(object.via.f64));
            break;
        case msgpack::type::FLOAT64:
            append_float(out, object.via.f64);
            break;
        case msgpack::type::STR:
            append_json_string(out, std::string_view(object.via.str.ptr, object.via.str.size));
            break;
        case msgpack::type::BIN:
            out += "{\"$bin\":\"";
            append_hex(out, std::string_view(object.via.bin.ptr, object.via.bin.size));
            out += "\"}";
            break;
        case msgpack::type::EXT:
            out += "{\"$ext\":" + std::to_string(int(object.via.ext.type())) + ",\"hex\":\"";
            append_hex(out, std::string_view(object.via.ext.data(), object.via.ext.size));
            out += "\"}";
            break;
        case msgpack::type::ARRAY:
            out += '[';
            for (std::uint32_t i = 0; i < object.via.array.size; ++i) {
                if (i > 0) out += ',';
                append_value(out, object.via.array.ptr[i]);
            }
            out += ']';
            break;
        case msgpack::type::MAP:
            out += '{';
            for (std::uint32_t i = 0; i < object.via.map.size; ++i) {
                if (i > 0) out += ',';
                append_key(out, object.via.map.ptr[i].key);
                out += ':';
                append_value(out, object.via.map.ptr[i].val);
            }
            out += '}';
            break;
        }
        check_size(out);
    }

private:
    void append_key(std::string& out, const msgpack::object& key) {
        if (key.type == msgpack::type::STR) {
            append_json_string(out, std::string_view(key.via.str.ptr, key.via.str.size));
            return;
        }
        std::string text;
        append_value(text, key);
        append_json_string(out, text);
        check_size(out);
    }

    void check_size(const std::string& text) const {
        if (text.size() > max_bytes_) throw output_too_large{};
    }

    std::size_t max_bytes_;
};

void append_invalid(std::string& out, std::string_view frame, std::string_view why) {
    out += "{\"$invalid_msgpack\":";
    append_json_string(out, why);
    out += ",\"size\":" + std::to_string(frame.size()) + ",\"hex\":\"";
    append_hex(out, frame.substr(0, invalid_hex_bytes));
    if (frame.size() > invalid_hex_bytes) out += "...";
    out += "\"}";
}

} // namespace

bool append_msgpack_as_json(std::string& out, std::string_view frame) {
    if (frame.empty()) {
        append_invalid(out, frame, "empty frame");
        return false;
    }
    // Every element takes at least one byte, so no count may exceed the frame size: this
    // keeps a forged header ("array of 4 billion") from making the decoder allocate for it.
    const std::size_t size = frame.size();
    const msgpack::unpack_limit limit(size, size, size, size, size, max_depth);
    std::size_t offset = 0;
    msgpack::object_handle handle;
    try {
        handle = msgpack::unpack(frame.data(), frame.size(), offset, nullptr, nullptr, limit);
    } catch (const msgpack::insufficient_bytes&) {
        append_invalid(out, frame, "truncated");
        return false;
    } catch (const msgpack::depth_size_overflow&) {
        append_invalid(out, frame, "nested too deep");
        return false;
    } catch (const msgpack::size_overflow&) {
        append_invalid(out, frame, "size larger than the frame");
        return false;
    } catch (const msgpack::parse_error&) {
        append_invalid(out, frame, "malformed");
        return false;
    } catch (const msgpack::unpack_error& error) {
        append_invalid(out, frame, error.what());
        return false;
    }
    if (offset != frame.size()) {
        append_invalid(out, frame, "extra bytes after the value");
        return false;
    }
    // Without keys inside keys, JSON is at most about 6 bytes per msgpack byte (a control
    // character in a string becomes \u00XX); 16 per byte leaves room for any honest frame.
    std::string json;
    try {
        renderer_t(16 * frame.size() + 1024).append_value(json, handle.get());
    } catch (const output_too_large&) {
        append_invalid(out, frame, "too large as JSON (map keys nested in map keys)");
        return false;
    }
    out += json;
    return true;
}

} // namespace zd::shell
