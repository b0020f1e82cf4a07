// What every device and tool is told on its command line, as plain values: the shared
// options, a device's endpoint lists, the exit codes and the usage error. The command-line
// parser that fills them lives in lib/cli; nothing here depends on it, so the libraries
// that run devices take these without linking a parser.
#pragma once

#include "base/endpoints.hpp"
#include "base/socket_options.hpp"

#include <stdexcept>
#include <string>
#include <string_view>

namespace zd {

enum exit_code { exit_ok = 0, exit_failure = 1, exit_usage = 2 };

// Thrown by a device's body for a combination of options it cannot run with, found only
// once the options are read together: run_main prints it and exits 2, as for a bad option.
class usage_error : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

struct common_options_t {
    socket_options_t socket;
    int verbose = 0;    // -v, repeatable
    bool quiet = false; // -q: errors only
    int io_threads = 1; // libzmq I/O threads
    bool print_config = false;
    bool log_time = false;    // --log-time: time stamps even on a terminal
    bool no_log_time = false; // --no-log-time: never (e.g. under journald, which adds its own)
};

// What every device offers an operator besides its data path: --events and --metrics.
struct ops_options_t {
    std::string events;  // where the device publishes its events (base/events.hpp)
    std::string metrics; // where it serves /metrics and /stats over HTTP (lib/ops)
};

struct device_options_t {
    common_options_t common;
    std::string frontend; // endpoint lists as typed; validated while parsing
    std::string backend;
    std::string control;
    std::string capture;
    ops_options_t ops;
};

// Sets the log's program name and level from -v/-q (errors only with -q, detail with -v) and
// its time stamps from --log-time/--no-log-time (by default: when stderr is not a terminal).
void configure_log(std::string_view program, const common_options_t& options);

} // namespace zd
