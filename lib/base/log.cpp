#include "base/log.hpp"

#include <atomic>
#include <cstdio>
#include <string>

namespace zd::log {

namespace {
std::atomic<error_listener_t> error_listener{nullptr};
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

void set_error_listener(error_listener_t listener) {
    error_listener.store(listener);
}

void error(std::string_view text) {
    write(level::error, text);
    if (const auto listener = error_listener.load()) listener(text);
}
void info(std::string_view text) {
    write(level::info, text);
}
void debug(std::string_view text) {
    write(level::debug, text);
}

} // namespace zd::log
