#include "base/log.hpp"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <string>
#include <unistd.h>

namespace zd::log {

namespace {
std::atomic<error_listener_t> error_listener{nullptr};
std::string program_name = "zd";
level shown = level::info;
bool stamped = isatty(STDERR_FILENO) == 0;

void write(level at, std::string_view text) {
    if (at > shown) return;
    // One fprintf per line, so lines from several threads never interleave mid-line.
    if (stamped)
        std::fprintf(stderr, "%s %s: %.*s\n", time_stamp_now().c_str(), program_name.c_str(),
                     int(text.size()), text.data());
    else
        std::fprintf(stderr, "%s: %.*s\n", program_name.c_str(), int(text.size()), text.data());
}
} // namespace

void configure(std::string_view program, level most_detailed, time_stamps stamps) {
    program_name = program;
    shown = most_detailed;
    stamped = stamps == time_stamps::always ||
              (stamps == time_stamps::unless_terminal && isatty(STDERR_FILENO) == 0);
}

std::string time_stamp_now() {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    tm utc{};
    gmtime_r(&now.tv_sec, &utc);
    char text[64]; // room for any int the compiler imagines in each field
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  int(now.tv_nsec / 1000000));
    return text;
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
