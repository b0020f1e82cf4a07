// The command line every device and tool shares, built with CLI11: learn one, know them all.
// Devices add -f/-b/--control/--capture; everyone gets the socket options, -v/-q,
// --log-time/--no-log-time, --config FILE (cli/config_file.hpp), --print-config and --version.
// Exit codes: 0 ok, 1 runtime failure, 2 usage error.
#pragma once

#include "base/device_options.hpp"

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string_view>

namespace zd {

// A CLI11 validator for endpoint lists: the error names the bad value.
CLI::Validator endpoint_list_validator();

// Adds the socket option flags (--hwm, --linger, --immediate, --tcp-keepalive,
// --heartbeat-ivl/-timeout/-ttl, --max-msg-size) to app.
void add_socket_options(CLI::App& app, socket_options_t& options);

// Adds --curve-cert, --curve-allow, --curve-allow-any, --curve-server-key, --allow-ip and
// --deny-ip (docs/SECURITY.md). A program adds them once every socket it makes takes them
// (process_security_t): a flag it took and ignored would leave the traffic in plain text.
void add_security_options(CLI::App& app, security_options_t& options);

// Adds --SIDE-curve-cert, --SIDE-curve-allow, --SIDE-curve-allow-any, --SIDE-curve-server-key:
// a side's own CURVE flags, each replacing the common one (security_options_t::for_side).
// whose names the side's sockets in the help texts (default "the SIDE's").
void add_side_security_options(CLI::App& app, security_options_t& options, const std::string& side,
                               const std::string& whose = {});

// Adds the socket options plus -v, -q, --io-threads, --config, --print-config, --version.
void add_common_options(CLI::App& app, common_options_t& options);

// Adds -f/--frontend, -b/--backend (required), --control, --capture, the common options and
// the security options, common and per side (--frontend-curve-*, --backend-curve-*).
void add_device_options(CLI::App& app, device_options_t& options);

// Adds --engine auto|native|libzmq (the data path of a device that has a native engine).
void add_engine_option(CLI::App& app, std::string& engine);

// Adds --version, which prints version_line (cli/version.hpp) for app's name.
void add_version_flag(CLI::App& app);

// Prints a usage error as "program: message" and the hint "Run with --help for more
// information." on stderr.
void print_usage_error(std::string_view program, std::string_view message);

// Parses the command line. Returns nothing when the program should go on, or the exit code to
// return at once: 0 after --help or --version (printed on stdout), 2 after a usage error
// (printed by print_usage_error). For mains that do not use run_main.
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv);

// Parses the command line (parse_command_line), then runs body. Handles --help, --version and
// --print-config, and maps errors to exit codes: usage errors print "program: message" and return
// 2, exceptions from body print "error: ..." and return 1. Returns body's result otherwise.
// Before body, raises the soft limit on open descriptors to the hard one
// (base/descriptor_limit.hpp): every connection is one.
int run_main(CLI::App& app, int argc, char** argv, const std::function<int()>& body);

} // namespace zd
