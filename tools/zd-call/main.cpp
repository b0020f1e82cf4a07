// zd-call — ask a Majordomo service for an answer from the shell: one request, the reply on
// stdout, an exit code a script can test.
//
// The request goes through lib/mdp/client.hpp (a DEALER, a fresh socket per retry), so a lost
// reply costs one --timeout, never a hang. mmi.* services are answered by the broker itself:
// `zd-call mmi.service echo` prints 200 or 404 and exits 0 or 3, which makes
// `until zd-call -q mmi.service echo; do sleep 0.1; done` a way to wait for a worker.
#include "base/log.hpp"
#include "base/stop_signal.hpp"
#include "mdp/client.hpp"
#include "shell/message_format.hpp"
#include "shell/message_input.hpp"
#include "cli/tool_cli.hpp"
#include "shell/tool_io.hpp"

#include <cerrno>
#include <cstdlib>
#include <unistd.h>

namespace {

using zd::mdp::frames_t;

constexpr int exit_not_found = 3; // an mmi.* answer of 404 or 501

struct call_options_t {
    zd::common_options_t common;
    std::string broker;
    std::string service;
    std::vector<std::string> body;
    bool lines = false;
    long long timeout_ms = 2500;
    int retries = 3;
    std::string protocol = "0.2";
    std::string format = "raw";
    std::string separator = " | ";
};

std::string default_broker() {
    const char* from_environment = std::getenv("ZD_BROKER");
    return from_environment && *from_environment ? from_environment : "tcp://127.0.0.1:5555";
}

// All of stdin, waiting with the stop signal in view (stdin may be a terminal or a pipe
// that takes its time).
std::optional<std::string> read_stdin(zd::stop_signal_t& stop) {
    std::string text;
    char buffer[65536];
    while (true) {
        if (zd::shell::wait_for_readable(0, stop, std::nullopt) != zd::shell::wait_result::ready)
            return std::nullopt;
        const ssize_t count = ::read(0, buffer, sizeof buffer);
        if (count > 0) {
            text.append(buffer, std::size_t(count));
        } else if (count == 0) {
            return text;
        } else if (errno != EINTR && errno != EAGAIN) {
            throw std::system_error(errno, std::generic_category(), "cannot read stdin");
        }
    }
}

// The request body: the arguments, else stdin (whole, or one frame per line with --lines).
std::optional<frames_t> request_body(const call_options_t& options, zd::stop_signal_t& stop) {
    if (!options.body.empty()) return options.body;
    auto input = read_stdin(stop);
    if (!input) return std::nullopt;
    if (!options.lines) return frames_t{std::move(*input)};
    zd::shell::record_splitter_t splitter('\n');
    splitter.feed(*input);
    frames_t frames;
    while (auto line = splitter.next())
        frames.push_back(std::move(*line));
    if (auto last = splitter.finish()) frames.push_back(std::move(*last));
    return frames; // no lines at all: the client sends one empty frame
}

// Prints a reply (or a 0.2 PARTIAL) and flushes it at once, so streamed parts show as they
// come. raw: each frame as is, one per line; otherwise one line in zd-recv's formats.
bool print_frames(zd::shell::line_output_t& output, const frames_t& frames,
                  const call_options_t& options) {
    if (options.format == "raw") {
        for (const auto& frame : frames)
            output.add_line(frame);
    } else {
        zd::shell::format_options_t format;
        format.format = zd::shell::parse_output_format(options.format);
        format.separator = options.separator;
        const std::vector<std::string_view> views(frames.begin(), frames.end());
        output.add_line(zd::shell::format_message(views, format));
    }
    return output.flush();
}

int run(const call_options_t& options) {
    zd::configure_log("zd-call", options.common);
    zd::stop_signal_t stop; // before the context, so libzmq's threads inherit the mask
    const auto body = request_body(options, stop);
    if (!body) {
        zd::log::error("interrupted while reading stdin");
        return zd::exit_failure;
    }
    zd::mdp::client_options_t client_options;
    client_options.protocol = zd::mdp::parse_version(options.protocol);
    client_options.timeout = std::chrono::milliseconds(options.timeout_ms);
    client_options.retries = options.retries;
    client_options.socket = options.common.socket;
    client_options.stop_fd = stop.fd();

    zmq::context_t context(options.common.io_threads);
    zd::mdp::client_t client(context, options.broker, client_options);
    zd::shell::line_output_t output;
    std::optional<frames_t> reply;
    try {
        reply = client.call(options.service, *body, [&](const frames_t& partial) {
            print_frames(output, partial, options);
        });
    } catch (const zd::mdp::interrupted_error&) {
        zd::log::error("interrupted before service '" + options.service + "' answered");
        return zd::exit_failure;
    }
    if (!reply) {
        const int attempts = options.retries + 1;
        zd::log::error(
            "no reply from service '" + options.service + "' after " + std::to_string(attempts) +
            (attempts == 1 ? " attempt" : " attempts") + " of " +
            std::to_string(options.timeout_ms) + " ms via " +
            zd::to_string(zd::parse_endpoints(options.broker, zd::attach_mode::connect)));
        return zd::exit_failure;
    }
    print_frames(output, *reply, options);
    const bool mmi = options.service.starts_with("mmi.");
    if (mmi && reply->size() == 1 && ((*reply)[0] == "404" || (*reply)[0] == "501"))
        return exit_not_found;
    return zd::exit_ok;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"zd-call: send one request to a Majordomo service and print the reply.",
                 "zd-call"};
    app.footer(
        "Examples:\n"
        "  zd-call -b tcp://127.0.0.1:5555 echo hello world    # two frames, two lines back\n"
        "  date | zd-call upper                                 # stdin as one frame\n"
        "  printf 'a\\nb\\n' | zd-call --lines echo             # one frame per line\n"
        "  zd-call mmi.service echo                             # 200 (exit 0) or 404 (exit 3)\n"
        "  zd-call mmi.services                                 # JSON: workers per service\n"
        "Body: the BODY arguments, one frame each; without any, stdin: one frame (whole), or\n"
        "one frame per line with --lines. An empty body is sent as one empty frame.\n"
        "Output: --format raw (default) prints each reply frame as is on its own line;\n"
        "text, hex, json and msgpack print the reply on one line as zd-recv does.\n"
        "MDP/0.2 PARTIAL replies are printed as they arrive, before the final one.\n"
        "Retries: after --timeout with no reply the socket is replaced and the request sent\n"
        "again, --retries times (so 1 + N attempts); workers must be idempotent.\n"
        "Broker: -b, else $ZD_BROKER, else tcp://127.0.0.1:5555. Bare endpoints connect.\n"
        "Exit codes: 0 reply printed, 1 no reply after every attempt (or interrupted),\n"
        "2 usage error, 3 the broker answered an mmi.* request with 404 or 501.");
    call_options_t options;
    options.broker = default_broker();
    options.common.socket.linger_ms = 0; // a request nobody took is not worth waiting for
    app.add_option("-b,--broker", options.broker,
                   "Broker endpoint (default: $ZD_BROKER or tcp://127.0.0.1:5555)")
        ->type_name("ENDPOINT")
        ->check(zd::shell::tool_endpoint_validator());
    app.add_option("service", options.service, "The service to call (mmi.* asks the broker)")
        ->required()
        ->type_name("SERVICE")
        ->check(CLI::Validator(
            [](std::string& name) -> std::string {
                if (name.empty()) return "the service name must not be empty";
                if (name.size() > zd::mdp::max_service_name)
                    return "service name longer than 255 bytes";
                return {};
            },
            ""));
    app.add_option("body", options.body, "Body frames (default: read stdin)")->type_name("BODY...");
    app.add_flag("-l,--lines", options.lines, "Stdin: one frame per line (default: one frame)");
    app.add_option("--timeout", options.timeout_ms,
                   "Milliseconds to wait for the reply, per attempt")
        ->type_name("MS")
        ->check(CLI::Range(0LL, 86400000LL))
        ->capture_default_str();
    app.add_option("--retries", options.retries, "Attempts after the first one")
        ->check(CLI::Range(0, 1000))
        ->capture_default_str();
    app.add_option("--mdp", options.protocol, "Protocol version: 0.1 or 0.2")
        ->check(CLI::IsMember({"0.1", "0.2"}))
        ->capture_default_str();
    app.add_option("--format", options.format, "Output: raw, text, hex, json or msgpack")
        ->check(CLI::IsMember({"raw", "text", "hex", "json", "msgpack"}))
        ->capture_default_str();
    app.add_option("-s,--separator", options.separator, "Between frames, for --format text and hex")
        ->capture_default_str();
    zd::add_common_options(app, options.common);
    return zd::run_main(app, argc, argv, [&] { return run(options); });
}
