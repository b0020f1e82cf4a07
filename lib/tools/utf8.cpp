#include "tools/utf8.hpp"

namespace zd::tools {

std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
    const auto at = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
    const unsigned char lead = at(0);
    if (lead < 0x80) return 1;
    std::size_t length = 0;
    unsigned char second_min = 0x80, second_max = 0xBF; // tighter for some leads (RFC 3629)
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) second_min = 0xA0; // overlong
        if (lead == 0xED) second_max = 0x9F; // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) second_min = 0x90; // overlong
        if (lead == 0xF4) second_max = 0x8F; // above U+10FFFF
    } else {
        return 0; // continuation byte, overlong C0/C1, or F5..FF
    }
    if (i + length > text.size()) return 0;
    if (at(1) < second_min || at(1) > second_max) return 0;
    for (std::size_t k = 2; k < length; ++k)
        if ((at(k) & 0xC0) != 0x80) return 0;
    return length;
}

} // namespace zd::tools
