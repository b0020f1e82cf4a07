#include "base/log.hpp"

#include <cstdio>
#include <string>

namespace zd::log {

namespace {
std::string program_name = "zd";
level shown = level::info;

void write(level at, std::string_view text) {
    if (at > shown) return;
    // One fprintf per line, so lines from several threads never interleave mid-line.
    std::fprintf(stderr, "%s: %.*s\n", program_name.c_str(), int(text.size()), text.data());
}
} // namespace

void configure(std::string_view program, level most_detailed) {
    program_name = program;
    shown = most_detailed;
}

void error(std::string_view text) {
    write(level::error, text);
}
void info(std::string_view text) {
    write(level::info, text);
}
void debug(std::string_view text) {
    write(level::debug, text);
}

} // namespace zd::log
