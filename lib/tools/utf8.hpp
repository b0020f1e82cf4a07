// UTF-8 validation for the tools' text output: valid sequences pass through as text, every
// other byte is escaped. Strict (no overlong forms, no surrogates, nothing above U+10FFFF),
// so what we print as text is exactly what a UTF-8 terminal or decoder accepts.
#pragma once

#include <cstddef>
#include <string_view>

namespace zd::tools {

// Length (1 to 4) of the valid UTF-8 sequence starting at text[i], or 0 if there is none.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);

} // namespace zd::tools
