// Diagnostics on stderr, one line each, prefixed with the program's name, and with the time
// (ISO 8601 UTC, milliseconds) when stderr is not a terminal: a log file or a journal needs
// it, a person at a terminal does not. --log-time / --no-log-time decide otherwise.
// Devices log little: start-up, shutdown and errors; -v adds detail, -q keeps only errors.
#pragma once

#include <string>
#include <string_view>

namespace zd::log {

enum class level { error = 0, info = 1, debug = 2 };

// When lines start with the time.
enum class time_stamps { unless_terminal, always, never };

// Sets the program name printed in front of each line, the most detailed level shown and
// when lines carry the time (unless_terminal looks at stderr now).
void configure(std::string_view program, level most_detailed,
               time_stamps stamps = time_stamps::unless_terminal);

// "2026-12-03T07:01:02.123Z": the time stamp of a line logged now.
std::string time_stamp_now();

void error(std::string_view text);

// Called with the text of every error line, after it is written (the events publisher makes
// each an "error" event). One listener per process; nullptr removes it. Thread-safe.
using error_listener_t = void (*)(std::string_view text);
void set_error_listener(error_listener_t listener);
void info(std::string_view text);
void debug(std::string_view text);

} // namespace zd::log
