// Printing helpers of zd-journal-tool (see print.hpp).
#include "print.hpp"

#include <cstdio>
#include <ctime>

namespace zd::journal_tool {

std::string iso_time(std::int64_t timestamp_ns) {
    std::int64_t seconds = timestamp_ns / 1000000000;
    std::int64_t nanos = timestamp_ns % 1000000000;
    if (nanos < 0) {
        nanos += 1000000000;
        --seconds;
    }
    const std::time_t time = std::time_t(seconds);
    std::tm parts{};
    ::gmtime_r(&time, &parts);
    char text[64];
    const std::size_t used = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
    std::snprintf(text + used, sizeof text - used, ".%09lldZ", static_cast<long long>(nanos));
    return text;
}

std::string escaped(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() + 2);
    out += '"';
    for (const unsigned char c : bytes) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += char(c);
        } else if (c >= 0x20 && c < 0x7F) {
            out += char(c);
        } else {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        }
    }
    out += '"';
    return out;
}

void hexdump(std::string& out, std::string_view bytes) {
    char line[128];
    for (std::size_t at = 0; at < bytes.size(); at += 16) {
        int used = std::snprintf(line, sizeof line, "    %08zx ", at);
        std::string ascii;
        for (std::size_t i = at; i < at + 16; ++i) {
            if (i < bytes.size()) {
                const auto c = static_cast<unsigned char>(bytes[i]);
                used += std::snprintf(line + used, sizeof line - std::size_t(used), " %02x", c);
                ascii += (c >= 0x20 && c < 0x7F) ? char(c) : '.';
            } else {
                used += std::snprintf(line + used, sizeof line - std::size_t(used), "   ");
            }
        }
        out += line;
        out += "  |" + ascii + "|\n";
    }
}

} // namespace zd::journal_tool
