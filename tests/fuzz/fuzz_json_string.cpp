// Fuzz target: JSON string escaping. Whatever bytes go in (frames are arbitrary binary), the
// output is a quoted JSON string with no raw control characters and only valid UTF-8.
#include "base/json_writer.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {
bool valid_utf8(const std::string& text) {
    for (std::size_t i = 0; i < text.size();) {
        const auto byte = static_cast<unsigned char>(text[i]);
        const std::size_t length = byte < 0x80           ? 1
                                   : (byte >> 5) == 0x6  ? 2
                                   : (byte >> 4) == 0xE  ? 3
                                   : (byte >> 3) == 0x1E ? 4
                                                         : 0;
        if (length == 0 || i + length > text.size()) return false;
        for (std::size_t k = 1; k < length; ++k)
            if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) return false;
        i += length;
    }
    return true;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string out;
    zd::append_json_string(out, std::string_view(reinterpret_cast<const char*>(data), size));
    if (out.size() < 2 || out.front() != '"' || out.back() != '"') std::abort();
    for (std::size_t i = 1; i + 1 < out.size(); ++i) {
        const auto byte = static_cast<unsigned char>(out[i]);
        if (byte < 0x20) std::abort();
        if (out[i] == '\\') {
            ++i; // skip the escaped character
            continue;
        }
        if (out[i] == '"') std::abort(); // an unescaped quote would end the string early
    }
    if (!valid_utf8(out)) std::abort();
    return 0;
}
