// zd-call — ask a Majordomo service for an answer from the shell: one request, the reply on
// stdout, an exit code a script can test.
//
// The request goes through lib/mdp/client.hpp (a DEALER, a fresh socket per retry), so a lost
// reply costs one --timeout, never a hang. By default it is sent once and waited for 30 s:
// a retry would make a worker that is merely slow do the work again. The exit code tells a
// reply (0) from no reply in time (3, after an mmi.service probe says whether the broker or
// a worker was missing) and from a reply that reports a failure (4: ERROR, a non-200 mmi or
// Titanic status; shell/reply_verdict.hpp).
#include "base/log.hpp"
#include "base/stop_signal.hpp"
#include "cli/number_option.hpp"
#include "cli/tool_cli.hpp"
#include "mdp/client.hpp"
#include "security/process_security.hpp"
#include "shell/message_format.hpp"
#include "shell/message_input.hpp"
#include "shell/reply_verdict.hpp"
#include "shell/tool_io.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <unistd.h>

namespace {

using zd::mdp::frames_t;

constexpr int exit_no_reply = 3;       // no reply within --timeout, after every attempt
constexpr int exit_service_failed = 4; // a reply that reports a failure (reply_verdict)
constexpr long long default_timeout_ms = 30000;
constexpr long long longest_probe_ms = 1000; // the mmi.service probe after a timeout

struct call_options_t {
    zd::common_options_t common;
    std::string broker;
    std::string service;
    std::vector<std::string> body;
    bool lines = false;
    long long timeout_ms = default_timeout_ms;
    int retries = 0; // a retry repeats the work of a worker that was only slow
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

// Why did no reply come? Asks the broker itself (mmi.service, answered without any worker):
// no answer means no broker at the endpoint (or not a Majordomo broker); 404 means it has no
// worker for the service; 200 means workers exist but none answered in time.
std::string diagnose_no_reply(zmq::context_t& context, const call_options_t& options,
                              const zd::mdp::client_options_t& client_options) {
    const std::string broker =
        zd::to_string(zd::parse_endpoints(options.broker, zd::attach_mode::connect));
    if (options.service.starts_with("mmi.")) return "no broker answered at " + broker;
    const auto probe_timeout =
        std::chrono::milliseconds(std::clamp(options.timeout_ms, 100LL, longest_probe_ms));
    zd::mdp::client_t probe(context, options.broker, client_options);
    const auto answer = probe.call("mmi.service", {options.service}, probe_timeout, 0);
    if (!answer || answer->empty())
        return "no broker answered at " + broker + " (mmi.service got no reply in " +
               std::to_string(probe_timeout.count()) +
               " ms): is it running, and is it a Majordomo broker?";
    if ((*answer)[0] == "404")
        return "no worker for service '" + options.service + "' at " + broker;
    if ((*answer)[0] == "200")
        return "service '" + options.service + "' has workers at " + broker +
               ", but none replied in time (busy or slow: a longer --timeout may help)";
    return "the broker at " + broker + " answered mmi.service with '" + (*answer)[0] + "'";
}

int run(const call_options_t& options) {
    zd::configure_log("zd-call", options.common);
    zd::stop_signal_t stop; // before the context, so libzmq's threads inherit the mask
    zmq::context_t context(options.common.io_threads);
    // The certificates are read and checked before stdin and any socket (exit 2 on a bad
    // one); after the context, whose end waits for the ZAP handler's sockets.
    zd::security::process_security_t security(options.common.security);
    const zd::socket_options_t socket_options =
        security.side("broker", options.common.socket,
                      zd::parse_endpoints(options.broker, zd::attach_mode::connect));
    security.start(context);
    const auto body = request_body(options, stop);
    if (!body) {
        zd::log::error("interrupted while reading stdin");
        return zd::exit_failure;
    }
    zd::mdp::client_options_t client_options;
    client_options.protocol = zd::mdp::parse_version(options.protocol);
    client_options.timeout = std::chrono::milliseconds(options.timeout_ms);
    client_options.retries = options.retries;
    client_options.socket = socket_options;
    client_options.stop_fd = stop.fd();

    zd::mdp::client_t client(context, options.broker, client_options);
    zd::shell::line_output_t output;
    std::optional<frames_t> reply;
    try {
        reply = client.call(options.service, *body, [&](const frames_t& partial) {
            print_frames(output, partial, options);
        });
        if (!reply) {
            const int attempts = options.retries + 1;
            zd::log::error("no reply from service '" + options.service + "' after " +
                           std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts") +
                           " of " + std::to_string(options.timeout_ms) + " ms (--timeout): " +
                           diagnose_no_reply(context, options, client_options));
            return exit_no_reply;
        }
    } catch (const zd::mdp::interrupted_error&) {
        zd::log::error("interrupted before service '" + options.service + "' answered");
        return zd::exit_failure;
    }
    print_frames(output, *reply, options);
    if (const auto verdict = zd::shell::judge_reply(options.service, *reply); verdict.failed) {
        zd::log::error("service '" + options.service + "' failed: " + verdict.why);
        return exit_service_failed;
    }
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
        "  zd-call mmi.service echo                             # 200 (exit 0) or 404 (exit 4)\n"
        "  zd-call mmi.services                                 # JSON: workers per service\n"
        "Body: the BODY arguments, one frame each; without any, stdin: one frame (whole), or\n"
        "one frame per line with --lines. An empty body is sent as one empty frame.\n"
        "Output: --format raw (default) prints each reply frame as is on its own line;\n"
        "text, hex, json and msgpack print the reply on one line as zd-recv does.\n"
        "MDP/0.2 PARTIAL replies are printed as they arrive, before the final one.\n"
        "Timeout and retries: the request is sent once and its reply awaited --timeout ms\n"
        "(30 s). --retries N sends it again on a fresh socket after each timeout: a worker\n"
        "that was only slow then runs it again, so retry only idempotent services.\n"
        "No reply: zd-call asks the broker (mmi.service) and says whether no broker answered,\n"
        "the broker has no worker for SERVICE, or the workers were too slow.\n"
        "Failures: a reply whose first frame is 'ERROR ...' (a worker that failed; zd-worker\n"
        "for a command that exited non-zero, timed out or could not run), and an mmi.* or\n"
        "titanic.* status other than 200 (mmi 404/501; Titanic 300 not yet, 400, 500) are\n"
        "printed like any reply, explained on stderr, and exit 4.\n"
        "Broker: -b, else $ZD_BROKER, else tcp://127.0.0.1:5555. Bare endpoints connect.\n"
        "CURVE (docs/SECURITY.md): --curve-cert ME_secret --curve-server-key BROKER (the\n"
        "broker's public certificate); a broker that refuses our key never answers: exit 3.\n"
        "Exit codes: 0 reply printed, 1 runtime failure (interrupted, socket error), 2 usage\n"
        "error, 3 no reply in time (after every attempt), 4 the reply reports a failure.");
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
                   "Milliseconds to wait for the reply, per attempt (exit 3 after the last)")
        ->type_name("MS")
        ->check(zd::whole_number(0LL, 86400000LL))
        ->capture_default_str();
    app.add_option("--retries", options.retries,
                   "Attempts after the first one, each after a --timeout (only for idempotent "
                   "services: a slow worker runs the request again)")
        ->check(zd::whole_number(0, 1000))
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
    zd::add_security_options(app, options.common.security);
    return zd::run_main(app, argc, argv, [&] { return run(options); });
}
