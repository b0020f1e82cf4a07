// Fuzz target: how zd-recv and zd-send print a message (format_message), in all four formats.
// Input: one byte choosing the format, then frames, each a length byte and that many bytes
// (the last frame takes what is left). Checks what each format promises a terminal or a
// pipe: json and msgpack print one strict JSON array with an item per frame (a frame of
// valid UTF-8 reads back unchanged in json); text and hex print one line of valid UTF-8
// with no control bytes; hex holds only hex digits between the separators.
#include "json_reader.hpp"
#include "shell/message_format.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

std::size_t utf8_length(unsigned char lead) {
    return lead < 0x80           ? 1
           : (lead >> 5) == 0x6  ? 2
           : (lead >> 4) == 0xE  ? 3
           : (lead >> 3) == 0x1E ? 4
                                 : 0;
}

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const auto lead = static_cast<unsigned char>(text[i]);
        const std::size_t length = utf8_length(lead);
        if (length == 0 || i + length > text.size()) return false;
        std::uint32_t code = length == 1 ? lead : lead & (0x7F >> length);
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next >> 6) != 0x2) return false;
            code = code << 6 | (next & 0x3F);
        }
        const std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
        if (code < smallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
            return false;
        i += length;
    }
    return true;
}

std::vector<std::string_view> frames_of(std::string_view input) {
    std::vector<std::string_view> frames;
    while (!input.empty()) {
        const std::size_t length = static_cast<unsigned char>(input.front());
        input.remove_prefix(1);
        const std::size_t take = std::min(length, input.size());
        frames.push_back(input.substr(0, take));
        input.remove_prefix(take);
    }
    return frames;
}

[[noreturn]] void fail(const char* why, const std::string& line) {
    std::fprintf(stderr, "%s: %s\n", why, line.c_str());
    std::abort();
}

void check_json_array(const std::string& line, const std::vector<std::string_view>& frames,
                      bool strings_read_back) {
    zd::test::json_value_t value;
    try {
        value = zd::test::parse_json(line);
    } catch (const std::runtime_error& error) {
        fail(error.what(), line);
    }
    if (value.type != zd::test::json_value_t::kind::array || value.items.size() != frames.size())
        fail("not an array of one item per frame", line);
    if (!strings_read_back) return;
    for (std::size_t i = 0; i < frames.size(); ++i)
        if (valid_utf8(frames[i]) && value.items[i].text != frames[i])
            fail("a UTF-8 frame did not read back", line);
}

void check_one_line(const std::string& line, bool hex, const std::string& separator) {
    if (!valid_utf8(line)) fail("not UTF-8", line);
    for (unsigned char byte : line)
        if (byte < 0x20 || byte == 0x7F) fail("control byte", line);
    if (!hex) return;
    for (std::size_t i = 0; i < line.size();) {
        if (line.compare(i, separator.size(), separator) == 0) {
            i += separator.size();
            continue;
        }
        const char c = line[i++];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) fail("not hex", line);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    using zd::shell::output_format;
    const output_format formats[] = {output_format::text, output_format::hex, output_format::json,
                                     output_format::msgpack};
    zd::shell::format_options_t options;
    options.format = formats[data[0] % 4];
    const auto frames =
        frames_of(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
    const std::string line = zd::shell::format_message(frames, options);
    switch (options.format) {
    case output_format::json:
        check_json_array(line, frames, true);
        break;
    case output_format::msgpack:
        check_json_array(line, frames, false);
        break;
    case output_format::text:
    case output_format::hex:
        check_one_line(line, options.format == output_format::hex, options.separator);
        break;
    }
    return 0;
}
