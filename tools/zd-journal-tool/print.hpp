// Printing records for people: times in ISO 8601 UTC, frames as escaped text or a hex dump.
// Shared by the offline subcommands (dump, tail) and the ones on the journal's sockets
// (consume, read).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace zd::journal_tool {

// "2026-12-02T21:26:48.123456789Z".
std::string iso_time(std::int64_t timestamp_ns);
// Printable ASCII as is, C-style escapes for everything else, in double quotes.
std::string escaped(std::string_view bytes);
// Appends a classic 16-bytes-a-line hex dump of bytes to out.
void hexdump(std::string& out, std::string_view bytes);

} // namespace zd::journal_tool
