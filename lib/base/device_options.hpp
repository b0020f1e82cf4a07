// What every device and tool is told on its command line, as plain values: the shared
// options, a device's endpoint lists, the exit codes and the usage error. The command-line
// parser that fills them lives in lib/cli; nothing here depends on it, so the libraries
// that run devices take these without linking a parser.
#pragma once

#include "base/endpoints.hpp"
#include "base/socket_options.hpp"

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace zd {

enum exit_code { exit_ok = 0, exit_failure = 1, exit_usage = 2 };

// Thrown by a device's body for a combination of options it cannot run with, found only
// once the options are read together: run_main prints it and exits 2, as for a bad option.
class usage_error : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// The CURVE flags of a program or of one side of a device, as typed: file and directory names
// that lib/security reads (docs/SECURITY.md).
struct curve_flags_t {
    std::string certificate; // --curve-cert FILE: our own secret certificate
    std::string allow;       // --curve-allow DIR: the public certificates let in where we bind
    bool allow_any = false;  // --curve-allow-any: any key (encryption without authentication)
    std::string server_key;  // --curve-server-key FILE: the server's public certificate
};

struct security_options_t {
    curve_flags_t curve; // --curve-*: every socket
    // --frontend-curve-* (...): a side's own flags; each one given replaces the --curve-* one.
    std::map<std::string, curve_flags_t, std::less<>> sides;
    std::vector<std::string> allow_ip; // --allow-ip: only these peers (addresses, CIDR blocks)
    std::vector<std::string> deny_ip;  // --deny-ip: never these; every mechanism, CURVE or not

    // The flags that hold for one side: its own where given, the common ones otherwise.
    curve_flags_t for_side(std::string_view side) const;
};

struct common_options_t {
    socket_options_t socket;
    security_options_t security;
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
