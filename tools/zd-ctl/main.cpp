// zd-ctl — talk to a device's control endpoint (--control) from the shell.
//
// One command, one answer, then exit: pause, resume, terminate, stats (the JSON object),
// statistics (libzmq's eight counters, named) or subscriptions (a forwarder's topics, as
// JSON). A DEALER socket with linger 0 and a bounded wait, so a device that is gone or has
// no --control makes zd-ctl fail fast and say so, instead of hanging like a REQ client would.
#include "base/log.hpp"
#include "base/stop_signal.hpp"
#include "cli/number_option.hpp"
#include "cli/tool_cli.hpp"
#include "security/process_security.hpp"
#include "shell/peer_monitor.hpp"
#include "shell/tool_io.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace {

using zd::shell::wait_result;

struct ctl_options_t {
    zd::common_options_t common;
    std::string endpoints;
    std::string command;
    long long timeout_ms = 2000;
};

struct command_t {
    std::string_view name; // as typed, lower case
    std::string_view wire; // as the device expects it
};

constexpr std::array<command_t, 6> commands{{{"pause", "PAUSE"},
                                             {"resume", "RESUME"},
                                             {"terminate", "TERMINATE"},
                                             {"stats", "STATS"},
                                             {"statistics", "STATISTICS"},
                                             {"subscriptions", "SUBSCRIPTIONS"}}};

// The STATISTICS reply, in libzmq's order.
constexpr std::array<std::string_view, 8> statistics_names{
    "frontend_messages_in", "frontend_bytes_in", "frontend_messages_out", "frontend_bytes_out",
    "backend_messages_in",  "backend_bytes_in",  "backend_messages_out",  "backend_bytes_out"};

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return text;
}

const command_t* find_command(const std::string& typed) {
    const std::string name = lower(typed);
    for (const auto& command : commands)
        if (command.name == name) return &command;
    return nullptr;
}

// Prints the reply the way the command calls for. Returns the exit code.
int print_reply(const command_t& command, const std::vector<zmq::message_t>& reply) {
    if (reply.size() == 1 && reply[0].to_string_view().starts_with("ERROR")) {
        zd::log::error("device answered: " + reply[0].to_string());
        return zd::exit_failure;
    }
    zd::shell::line_output_t output;
    if (command.wire == "STATS" || command.wire == "SUBSCRIPTIONS") { // one JSON object
        if (reply.size() != 1) {
            zd::log::error("unexpected " + std::string(command.wire) +
                           " reply: " + std::to_string(reply.size()) + " frames");
            return zd::exit_failure;
        }
        output.add_line(reply[0].to_string_view());
    } else if (command.wire == "STATISTICS") {
        const bool well_formed = reply.size() == statistics_names.size() &&
                                 std::ranges::all_of(reply, [](const zmq::message_t& frame) {
                                     return frame.size() == sizeof(std::uint64_t);
                                 });
        if (!well_formed) {
            zd::log::error("unexpected STATISTICS reply: expected 8 frames of 8 bytes");
            return zd::exit_failure;
        }
        for (std::size_t i = 0; i < reply.size(); ++i) {
            std::uint64_t value = 0; // native-endian, as libzmq's zmq_proxy_steerable sends it
            std::memcpy(&value, reply[i].data(), sizeof value);
            std::string line(statistics_names[i]);
            line.resize(22, ' ');
            output.add_line(line + std::to_string(value));
        }
    }
    // pause, resume and terminate are acknowledged with one empty frame: nothing to print.
    output.flush();
    return zd::exit_ok;
}

int run(const ctl_options_t& options) {
    zd::configure_log("zd-ctl", options.common);
    const command_t* command = find_command(options.command);
    const auto endpoints = zd::parse_endpoints(options.endpoints, zd::attach_mode::connect);
    const auto deadline = zd::shell::deadline_after(options.timeout_ms);

    zd::stop_signal_t stop; // before the context, so libzmq's threads inherit the mask
    zmq::context_t context(options.common.io_threads);
    // A device's control socket with CURVE takes only clients that know its key and are in
    // its allow-list: the keys are read and checked here (exit 2 on a bad certificate).
    zd::security::process_security_t security(options.common.security);
    const zd::socket_options_t socket_options =
        security.side("control", options.common.socket, endpoints);
    security.start(context); // the ZAP handler, before the socket binds
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    socket_options.apply_to(socket);
    // Says why no answer came when the handshake itself failed (CURVE refused or missing).
    zd::shell::peer_monitor_t monitor(context, socket);
    const auto attached = zd::attach(socket, endpoints, socket_options);

    // The empty delimiter makes the request look like a REQ's, which every control server
    // accepts; the reply then comes back behind the same delimiter.
    const std::vector<std::string> request{"", std::string(command->wire)};
    wait_result waited = zd::shell::send_message(socket, request, stop, deadline);
    std::vector<zmq::message_t> reply;
    while (waited == wait_result::ready && !zd::shell::try_receive_message(socket, reply))
        waited = zd::shell::wait_for_socket(socket, ZMQ_POLLIN, stop, deadline);
    if (waited == wait_result::stopped) {
        zd::log::error("interrupted before the device answered");
        return zd::exit_failure; // the command may or may not have been carried out
    }
    if (waited != wait_result::ready) {
        if (const auto failure = monitor.handshake_failure()) {
            zd::log::error("no answer from " + zd::to_string(attached) + " within " +
                           std::to_string(options.timeout_ms) + " ms (--timeout): " + *failure);
            return zd::exit_failure;
        }
        zd::log::error(
            "no answer from " + zd::to_string(attached) + " within " +
            std::to_string(options.timeout_ms) +
            " ms (--timeout); is the device running with --control there, and if it uses "
            "CURVE, were --curve-cert and --curve-server-key given?");
        return zd::exit_failure;
    }
    if (!reply.empty() && reply.front().size() == 0) reply.erase(reply.begin());
    return print_reply(*command, reply);
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"zd-ctl: send a command to a device's control endpoint and print the answer.",
                 "zd-ctl"};
    app.footer(
        "Commands:\n"
        "  pause          stop moving messages (they wait in the queues); prints nothing\n"
        "  resume         move messages again; prints nothing\n"
        "  terminate      make the device exit 0; prints nothing\n"
        "  stats          print the device's STATS JSON object (state, endpoints, counters)\n"
        "  statistics     print libzmq's eight STATISTICS counters, one 'name value' per line\n"
        "  subscriptions  zd-forwarder: print the topics its subscribers want, one JSON object\n"
        "                 {\"count\":N,\"topics\":[...],\"topics_not_listed\":K}\n"
        "Examples:\n"
        "  zd-queue -f @tcp://*:5559 -b @tcp://*:5560 --control @tcp://127.0.0.1:5570 &\n"
        "  zd-ctl tcp://127.0.0.1:5570 stats | jq .frontend_to_backend\n"
        "  zd-ctl tcp://127.0.0.1:5570 pause\n"
        "  zd-ctl --timeout 500 tcp://127.0.0.1:5570 terminate\n"
        "  zd-ctl --curve-cert me_secret --curve-server-key hub tcp://hub:5570 stats\n"
        "Endpoints: bare endpoints connect, '@' binds, '>' connects.\n"
        "CURVE: a device whose control socket serves CURVE (its --curve-cert and\n"
        "--curve-allow) answers only a client giving --curve-cert (a key in that allow-list)\n"
        "and --curve-server-key (the device's public certificate); anything else gets no\n"
        "answer: exit 1 at --timeout, saying why the handshake failed. See docs/SECURITY.md.\n"
        "Exit codes: 0 ok, 1 no answer within --timeout, an ERROR answer or interrupted,\n"
        "2 usage error (e.g. an unknown command, a missing or unsafe certificate).");
    ctl_options_t options;
    options.common.socket.linger_ms = 0; // a command nobody took is not worth waiting for
    app.add_option("endpoint", options.endpoints, "The device's control endpoint")
        ->required()
        ->type_name("ENDPOINT")
        ->check(zd::shell::tool_endpoint_validator());
    app.add_option(
           "command", options.command,
           "pause, resume, terminate, stats, statistics or subscriptions (case-insensitive)")
        ->required()
        ->type_name("COMMAND")
        ->check(CLI::Validator(
            [](std::string& text) -> std::string {
                if (find_command(text)) return {};
                return "unknown command '" + text +
                       "' (expected pause, resume, terminate, stats, statistics or subscriptions)";
            },
            ""));
    app.add_option("--timeout", options.timeout_ms,
                   "Exit 1 if the device does not answer within MS milliseconds")
        ->type_name("MS")
        ->check(zd::whole_number_from<long long>(0))
        ->capture_default_str();
    zd::add_common_options(app, options.common);
    zd::add_security_options(app, options.common.security);
    return zd::run_main(app, argc, argv, [&] { return run(options); });
}
