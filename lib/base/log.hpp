// Diagnostics on stderr, one line each, prefixed with the program's name.
// Devices log little: start-up, shutdown and errors; -v adds detail, -q keeps only errors.
#pragma once

#include <string_view>

namespace zd::log {

enum class level { error = 0, info = 1, debug = 2 };

// Sets the program name printed in front of each line and the most detailed level shown.
void configure(std::string_view program, level most_detailed);

void error(std::string_view text);

// Called with the text of every error line, after it is written (the events publisher makes
// each an "error" event). One listener per process; nullptr removes it. Thread-safe.
using error_listener_t = void (*)(std::string_view text);
void set_error_listener(error_listener_t listener);
void info(std::string_view text);
void debug(std::string_view text);

} // namespace zd::log
