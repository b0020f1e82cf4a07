#include "cli/device_cli.hpp"

#include "base/descriptor_limit.hpp"
#include "base/log.hpp"
#include "cli/config_format.hpp"
#include "cli/number_option.hpp"
#include "cli/ops_options.hpp"
#include "cli/version.hpp"

#include <cstdio>
#include <iostream>

namespace zd {

CLI::Validator endpoint_list_validator() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            if (text.empty()) return {}; // an option left unset, e.g. in a --print-config file
            try {
                parse_endpoints(text, attach_mode::bind);
                return {};
            } catch (const endpoint_error& error) {
                return error.what();
            }
        },
        "ENDPOINTS", "endpoint list");
}

void add_socket_options(CLI::App& app, socket_options_t& options) {
    const char* group = "Socket";
    app.add_option_function<int>(
           "--hwm",
           [&options](int hwm) {
               options.send_hwm = hwm;
               options.receive_hwm = hwm;
           },
           "High-water mark, messages per peer and direction (0 = none; default 1000)")
        ->check(zd::whole_number_from<int>(0))
        ->default_str(std::to_string(options.send_hwm))
        ->group(group);
    app.add_option("--linger", options.linger_ms,
                   "Milliseconds to flush pending messages at shutdown (bounded so exit never "
                   "hangs)")
        ->check(zd::whole_number(0, 60000))
        ->capture_default_str()
        ->group(group);
    app.add_flag("--immediate", options.immediate,
                 "Queue messages only to completed connections (ZMQ_IMMEDIATE)")
        ->group(group);
    app.add_flag("--tcp-keepalive", options.tcp_keepalive, "Enable TCP keepalive")->group(group);
    app.add_option("--heartbeat-ivl", options.heartbeat_interval_ms,
                   "ZMTP heartbeat interval in ms (0 = off)")
        ->check(zd::whole_number_from<int>(0))
        ->capture_default_str()
        ->group(group);
    app.add_option("--heartbeat-timeout", options.heartbeat_timeout_ms,
                   "Drop a peer silent for this many ms (needs --heartbeat-ivl)")
        ->check(zd::whole_number_from<int>(0))
        ->capture_default_str()
        ->group(group);
    app.add_option("--heartbeat-ttl", options.heartbeat_ttl_ms,
                   "Ask peers to drop us after this many ms of silence")
        ->check(zd::whole_number_from<int>(0))
        ->capture_default_str()
        ->group(group);
    app.add_option("--handshake-ivl", options.handshake_interval_ms,
                   "Drop a connection whose ZMTP handshake is not done within this many ms, so "
                   "connections that never speak cannot pile up (0 = never)")
        ->check(zd::whole_number_from<int>(0))
        ->capture_default_str()
        ->group(group);
    app.add_option("--max-msg-size", options.max_message_size,
                   "Largest inbound message in bytes; a peer sending more is disconnected "
                   "(-1 = no limit)")
        ->check(zd::whole_number(-1LL, (1LL << 62)))
        ->capture_default_str()
        ->group(group);
}

namespace {

void add_curve_flags(CLI::App& app, curve_flags_t& flags, const std::string& prefix,
                     const std::string& whose) {
    const char* group = "Security (docs/SECURITY.md)";
    app.add_option("--" + prefix + "curve-cert", flags.certificate,
                   "CURVE: " + whose +
                       " own secret certificate (NAME_secret from zd-keygen, "
                       "mode 0600); encrypts and authenticates every tcp and ipc endpoint")
        ->type_name("FILE")
        ->group(group);
    auto* allow = app.add_option("--" + prefix + "curve-allow", flags.allow,
                                 "CURVE: where " + whose +
                                     " sockets bind, only clients whose public certificate is "
                                     "in DIR get in; re-read when DIR changes")
                      ->type_name("DIR")
                      ->group(group);
    app.add_flag("--" + prefix + "curve-allow-any", flags.allow_any,
                 "CURVE: let any client key in where " + whose +
                     " sockets bind (encryption without authentication)")
        ->excludes(allow)
        ->group(group);
    app.add_option("--" + prefix + "curve-server-key", flags.server_key,
                   "CURVE: the public certificate of the server " + whose + " sockets connect to")
        ->type_name("FILE")
        ->group(group);
}

} // namespace

void add_security_options(CLI::App& app, security_options_t& options) {
    add_curve_flags(app, options.curve, "", "this program's");
    const char* group = "Security (docs/SECURITY.md)";
    app.add_option("--allow-ip", options.allow_ip,
                   "Where we bind, only peers from these addresses or CIDR blocks get in "
                   "(repeatable; any mechanism, plain text too)")
        ->type_name("ADDRESS")
        ->group(group);
    app.add_option("--deny-ip", options.deny_ip,
                   "Where we bind, peers from these addresses or CIDR blocks never get in "
                   "(repeatable; wins over --allow-ip)")
        ->type_name("ADDRESS")
        ->group(group);
}

void add_side_security_options(CLI::App& app, security_options_t& options, const std::string& side,
                               const std::string& whose) {
    add_curve_flags(app, options.sides[side], side + "-",
                    whose.empty() ? "the " + side + "'s" : whose);
}

void add_common_options(CLI::App& app, common_options_t& options) {
    add_socket_options(app, options.socket);
    app.add_flag("-v,--verbose", options.verbose, "More diagnostics on stderr (repeatable)");
    app.add_flag("-q,--quiet", options.quiet, "Only errors on stderr");
    auto* log_time = app.add_flag("--log-time", options.log_time,
                                  "Start every log line with the UTC time, also on a terminal "
                                  "(the default when stderr is not a terminal)");
    app.add_flag("--no-log-time", options.no_log_time,
                 "No time stamps on log lines (e.g. under journald, which adds its own)")
        ->excludes(log_time);
    app.add_option("--io-threads", options.io_threads, "libzmq I/O threads")
        ->check(zd::whole_number(1, 64))
        ->capture_default_str();
    add_config_option(app);
    app.add_flag("--print-config", options.print_config,
                 "Print the effective configuration (INI, usable with --config) and exit")
        ->configurable(false);
    add_version_flag(app);
}

void add_version_flag(CLI::App& app) {
    app.set_version_flag(
        "--version", [&app] { return version_line(app.get_name()); },
        "Print the program, its version, the git commit it was built from and "
        "libzmq's version, and exit");
}

namespace {

// True if argv asks for --print-config (before any "--" that ends the options).
bool asks_print_config(const CLI::App& app, int argc, char** argv) {
    if (app.get_option_no_throw("--print-config") == nullptr) return false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--") return false;
        if (arg == "--print-config") return true;
    }
    return false;
}

} // namespace

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
    // --print-config writes a template: the options a run needs may still be missing (they
    // are printed commented out), everything given is checked as usual.
    std::vector<CLI::Option*> required;
    if (asks_print_config(app, argc, argv))
        for (CLI::Option* option : app.get_options())
            if (option->get_required()) {
                required.push_back(option);
                option->required(false);
            }
    try {
        app.parse(argc, argv);
        for (CLI::Option* option : required)
            option->required(true); // so the template says which ones a run needs
        return std::nullopt;
    } catch (const CLI::ParseError& error) {
        if (error.get_exit_code() == 0) { // --help or --version: what was asked, on stdout
            app.exit(error);
            return exit_ok;
        }
        print_usage_error(app.get_name(), with_config_origin(app, error.what()));
        return exit_usage;
    }
}

void print_usage_error(std::string_view program, std::string_view message) {
    // The same "program: " prefix (and time stamp) as every other line the program logs, so
    // a usage error in a service's journal says who refused to start; then the hint.
    log::configure(program, log::level::error);
    log::error(message);
    std::fprintf(stderr, "Run with --help for more information.\n");
}

void add_device_options(CLI::App& app, device_options_t& options) {
    app.add_option("-f,--frontend", options.frontend,
                   "Frontend endpoints, e.g. @tcp://*:5555,>ipc:///run/up (bare = bind)")
        ->required()
        ->check(endpoint_list_validator());
    app.add_option("-b,--backend", options.backend,
                   "Backend endpoints, same notation (bare = bind)")
        ->required()
        ->check(endpoint_list_validator());
    app.add_option("--control", options.control,
                   "Control endpoints (PAUSE, RESUME, TERMINATE, STATISTICS, STATS; see zd-ctl)")
        ->check(endpoint_list_validator());
    app.add_option("--capture", options.capture,
                   "Capture endpoints: a PUB socket that gets a copy of every frame")
        ->check(endpoint_list_validator());
    ops::add_ops_options(app, options.ops);
    add_common_options(app, options.common);
    add_security_options(app, options.common.security);
    add_side_security_options(app, options.common.security, "frontend");
    add_side_security_options(app, options.common.security, "backend");
}

void add_engine_option(CLI::App& app, std::string& engine) {
    app.add_option("--engine", engine,
                   "Data path: native (ZMTP spoken by the device itself), libzmq (libzmq's "
                   "sockets), or auto (native when it supports the endpoints and options)")
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "native", "libzmq"}));
}

int run_main(CLI::App& app, int argc, char** argv, const std::function<int()>& body) {
    if (const auto code = parse_command_line(app, argc, argv)) return *code;
    log::configure(app.get_name(), log::level::info); // until the body sets -v/-q's level
    if (app.get_option("--print-config")->count() > 0) {
        std::cout << app.config_to_str(true, true); // config_format_t: every option
        return exit_ok;
    }
    raise_descriptor_limit();
    try {
        return body();
    } catch (const endpoint_error& error) {
        log::error(std::string("error: ") + error.what());
        return exit_usage;
    } catch (const usage_error& error) {
        log::error(std::string("error: ") + error.what());
        return exit_usage;
    } catch (const std::exception& error) {
        log::error(std::string("error: ") + error.what());
        return exit_failure;
    }
}

} // namespace zd
