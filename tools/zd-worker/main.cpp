// zd-worker — serve a Majordomo service from the shell: each request runs a command, whose
// stdout is the reply. Or --echo, a built-in echo service for trying a broker out.
//
// Each of --concurrency N workers has its own socket and thread (lib/mdp/worker.hpp), so N
// commands run at once and every worker keeps heartbeating while its command runs. Commands
// run without a shell, bounded by --command-timeout, and are killed (with their process
// group) on SIGINT/SIGTERM, which makes zd-worker exit 0 after telling the broker.
#include "base/log.hpp"
#include "base/stop_signal.hpp"
#include "cli/number_option.hpp"
#include "cli/tool_cli.hpp"
#include "command_runner.hpp"
#include "mdp/worker.hpp"
#include "security/process_security.hpp"

#include <csignal>
#include <cstdlib>
#include <mutex>
#include <poll.h>
#include <sys/eventfd.h>
#include <thread>
#include <unistd.h>

namespace {

using zd::mdp::frames_t;
using zd::worker_tool::command_result_t;

struct worker_tool_options_t {
    zd::common_options_t common;
    std::string broker;
    std::string service;
    std::vector<std::string> command;
    bool echo = false;
    int concurrency = 1;
    long long command_timeout_ms = 0; // 0: none
    std::string protocol = "0.2";
    long long heartbeat_interval_ms = 2500;
    int heartbeat_liveness = 3;
    long long reconnect_delay_ms = 2500;
    bool raw = false;
    bool lines = false;
};

std::string default_broker() {
    const char* from_environment = std::getenv("ZD_BROKER");
    return from_environment && *from_environment ? from_environment : "tcp://127.0.0.1:5555";
}

// The request body as the command's stdin: each frame followed by a newline, so that
// line-oriented commands (read, sed, awk) see complete lines; --raw: frames back to back.
std::string command_input(const frames_t& body, bool raw) {
    std::string input;
    for (const auto& frame : body) {
        input += frame;
        if (!raw) input += '\n';
    }
    return input;
}

// The command's stdout as the reply: one frame without its final newline (as the shell's
// $(...) would, but only one); --lines: one frame per line; --raw: exactly as written.
frames_t command_reply(std::string output, const worker_tool_options_t& options) {
    if (options.lines) {
        frames_t frames;
        std::size_t start = 0;
        while (start < output.size()) {
            std::size_t end = output.find('\n', start);
            if (end == std::string::npos) end = output.size();
            frames.push_back(output.substr(start, end - start));
            start = end + 1;
        }
        return frames; // no output: the worker sends one empty frame
    }
    if (!options.raw && !output.empty() && output.back() == '\n') output.pop_back();
    return {std::move(output)};
}

frames_t run_for_request(const frames_t& body, zd::mdp::request_context_t& context,
                         const worker_tool_options_t& options) {
    zd::worker_tool::command_limits_t limits;
    if (options.command_timeout_ms > 0)
        limits.timeout = std::chrono::milliseconds(options.command_timeout_ms);
    limits.cancel_fd = context.cancel_fd();
    command_result_t result =
        zd::worker_tool::run_command(options.command, command_input(body, options.raw), limits);
    const std::string what = zd::worker_tool::describe(result, limits);
    switch (result.what) {
    case command_result_t::outcome::exited: {
        frames_t reply = command_reply(std::move(result.output), options);
        if (result.status == 0) return reply;
        // A failure the client must be able to see (zd-call exits 4 on it): an ERROR frame
        // first, then what the command wrote, which may explain it. Its stderr went to ours.
        zd::log::info("'" + options.command[0] + "': " + what);
        reply.insert(reply.begin(), "ERROR " + options.command[0] + ": " + what);
        return reply;
    }
    case command_result_t::outcome::cancelled:
        zd::log::debug("'" + options.command[0] + "': " + what);
        return {}; // the worker discards it: the request was handed back
    default:
        zd::log::error("'" + options.command[0] + "': " + what);
        return {"ERROR " + options.command[0] + ": " + what};
    }
}

int run(const worker_tool_options_t& options) {
    zd::configure_log("zd-worker", options.common);
    if (options.echo == !options.command.empty()) {
        zd::log::error(options.echo ? "--echo takes no COMMAND"
                                    : "a COMMAND (after --) or --echo is required");
        return zd::exit_usage;
    }
    if (!options.echo) {
        // Refused now rather than answered with an error for every request.
        if (const std::string why = zd::worker_tool::why_not_runnable(options.command[0]);
            !why.empty()) {
            zd::log::error("cannot run the command: " + why);
            return zd::exit_failure;
        }
    }
    zd::mdp::worker_options_t worker_options;
    worker_options.protocol = zd::mdp::parse_version(options.protocol);
    worker_options.heartbeat_interval = std::chrono::milliseconds(options.heartbeat_interval_ms);
    worker_options.heartbeat_liveness = options.heartbeat_liveness;
    worker_options.reconnect_delay = std::chrono::milliseconds(options.reconnect_delay_ms);
    worker_options.fail_on_silent_peer = true; // a typo'd port must not look like a broker

    std::signal(SIGPIPE, SIG_IGN); // a command that leaves stdin unread: EPIPE, not death
    zd::stop_signal_t stop;        // before any thread, so all of them inherit the mask
    zmq::context_t context(options.common.io_threads);
    // The certificates are read and checked before any socket opens (exit 2 on a bad one);
    // after the context, whose end waits for the ZAP handler's sockets.
    zd::security::process_security_t security(options.common.security);
    worker_options.socket =
        security.side("broker", options.common.socket,
                      zd::parse_endpoints(options.broker, zd::attach_mode::connect));
    security.start(context);
    std::vector<std::unique_ptr<zd::mdp::worker_t>> workers;
    for (int i = 0; i < options.concurrency; ++i)
        workers.push_back(std::make_unique<zd::mdp::worker_t>(context, options.broker,
                                                              options.service, worker_options));

    const zd::mdp::streaming_handler_t handler =
        options.echo ? zd::mdp::streaming_handler_t(
                           [](frames_t body, zd::mdp::request_context_t&) { return body; })
                     : zd::mdp::streaming_handler_t(
                           [&options](frames_t body, zd::mdp::request_context_t& context) {
                               return run_for_request(body, context, options);
                           });

    // A worker thread that fails (a socket error) wakes the main thread, which stops all.
    const int failed_event = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    std::mutex failure_mutex;
    std::string failure;
    std::vector<std::thread> threads;
    for (auto& worker : workers) {
        threads.emplace_back([&, worker = worker.get()] {
            try {
                worker->serve(handler);
            } catch (const std::exception& error) {
                std::lock_guard lock(failure_mutex);
                if (failure.empty()) failure = error.what();
                const std::uint64_t one = 1;
                [[maybe_unused]] auto written = ::write(failed_event, &one, sizeof one);
            }
        });
    }
    zd::log::info("serving '" + options.service + "' with " + std::to_string(options.concurrency) +
                  (options.concurrency == 1 ? " worker" : " workers") + " via " +
                  zd::to_string(zd::parse_endpoints(options.broker, zd::attach_mode::connect)) +
                  " (MDP/" + options.protocol + ")");

    bool stopped_by_signal = false;
    while (true) {
        pollfd items[] = {{stop.fd(), POLLIN, 0}, {failed_event, POLLIN, 0}};
        if (::poll(items, 2, -1) < 0 && errno != EINTR) break;
        if (items[0].revents != 0 && stop.received()) {
            stopped_by_signal = true;
            break;
        }
        if (items[1].revents != 0) break;
    }
    if (stopped_by_signal) zd::log::info("stopping on signal");
    for (auto& worker : workers)
        worker->request_stop();
    for (auto& thread : threads)
        thread.join();
    ::close(failed_event);
    if (!failure.empty()) {
        zd::log::error("error: " + failure);
        return zd::exit_failure;
    }
    return zd::exit_ok;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"zd-worker: serve a Majordomo service from the shell; each request runs a "
                 "command, its stdout is the reply.",
                 "zd-worker"};
    app.footer(
        "Examples:\n"
        "  zd-worker -b tcp://127.0.0.1:5555 --echo echo\n"
        "  zd-worker -b tcp://127.0.0.1:5555 upper -- tr a-z A-Z\n"
        "  zd-worker --concurrency 4 --command-timeout 10000 report -- sh -c 'make-report "
        "\"$(cat)\"'\n"
        "  zd-call -b tcp://127.0.0.1:5555 upper hello        # prints HELLO\n"
        "Requests and commands:\n"
        "  The request's frames go to the command's stdin, each followed by a newline\n"
        "  (--raw: back to back). Its stdout is the reply: one frame, without one final\n"
        "  newline (--lines: one frame per line; --raw: exactly as written). Its stderr is\n"
        "  zd-worker's. No shell is involved: write `sh -c '...'` when you want one.\n"
        "  A command that exits non-zero is answered with a frame 'ERROR <command>: exit\n"
        "  status N' followed by the reply from its stdout (zd-call exits 4 on it; wrap a\n"
        "  command whose non-zero status is an answer, like grep's 1, in sh -c '... || true').\n"
        "  A command that is killed by a signal, outruns --command-timeout or writes more\n"
        "  than 64 MiB is answered with one frame 'ERROR <command>: <why>'. Both are logged.\n"
        "  A COMMAND that is not an executable file (or not found in $PATH) is refused at\n"
        "  start: exit 1.\n"
        "  Heartbeats go on while a command runs; the broker's --heartbeat-interval and\n"
        "  --heartbeat-liveness should match ours. A broker that falls silent for interval x\n"
        "  liveness is reconnected to; but a peer that accepts the connection and never says\n"
        "  a word of MDP in that time (a plain ROUTER, a zd-queue) is not a broker: zd-worker\n"
        "  says so and exits 1. Nothing listening yet is not an error: it keeps retrying.\n"
        "  SIGINT/SIGTERM/SIGHUP: DISCONNECT from the broker (it requeues requests in\n"
        "  progress), kill the running commands and their process groups, exit 0.\n"
        "Broker: -b, else $ZD_BROKER, else tcp://127.0.0.1:5555. Bare endpoints connect.\n"
        "CURVE (docs/SECURITY.md): --curve-cert ME_secret --curve-server-key BROKER (the\n"
        "broker's public certificate); the broker lets us in only if ME is in its allow\n"
        "directory, and a refused worker keeps retrying (the broker logs the refusal).\n"
        "Exit codes: 0 stopped by a signal, 1 runtime failure (a COMMAND that cannot run, a\n"
        "peer that is not a broker, a socket error), 2 usage error.");
    worker_tool_options_t options;
    options.broker = default_broker();
    app.add_option("-b,--broker", options.broker,
                   "Broker endpoint (default: $ZD_BROKER or tcp://127.0.0.1:5555)")
        ->type_name("ENDPOINT")
        ->check(zd::shell::tool_endpoint_validator());
    app.add_option("service", options.service, "The service to serve")
        ->required()
        ->type_name("SERVICE")
        ->check(CLI::Validator(
            [](std::string& name) -> std::string {
                if (name.empty()) return "the service name must not be empty";
                if (name.size() > zd::mdp::max_service_name)
                    return "service name longer than 255 bytes";
                if (name.starts_with("mmi."))
                    return "service '" + name +
                           "': names starting with 'mmi.' belong to the broker";
                return {};
            },
            ""));
    app.add_option("command", options.command, "The command to run per request (after --)")
        ->type_name("COMMAND ARGS...");
    app.add_flag("--echo", options.echo, "Serve as a built-in echo worker (no command)");
    app.add_option("-c,--concurrency", options.concurrency, "Workers (sockets, commands at once)")
        ->check(zd::whole_number(1, 1000))
        ->capture_default_str();
    app.add_option("--command-timeout", options.command_timeout_ms,
                   "Kill a command after MS milliseconds (0: no limit)")
        ->type_name("MS")
        ->check(zd::whole_number_from<long long>(0))
        ->capture_default_str();
    app.add_flag("--raw", options.raw,
                 "Frames go to stdin back to back; stdout is the reply exactly as written");
    app.add_flag("--lines", options.lines, "One reply frame per line of stdout")->excludes("--raw");
    const char* group = "Majordomo";
    app.add_option("--mdp", options.protocol, "Protocol version: 0.1 or 0.2")
        ->check(CLI::IsMember({"0.1", "0.2"}))
        ->capture_default_str()
        ->group(group);
    app.add_option("--heartbeat-interval", options.heartbeat_interval_ms,
                   "Milliseconds between heartbeats (match the broker's)")
        ->type_name("MS")
        ->check(zd::whole_number(1LL, 3600000LL))
        ->capture_default_str()
        ->group(group);
    app.add_option("--heartbeat-liveness", options.heartbeat_liveness,
                   "Silent heartbeat intervals after which the broker is dead")
        ->check(zd::whole_number(1, 1000))
        ->capture_default_str()
        ->group(group);
    app.add_option("--reconnect-delay", options.reconnect_delay_ms,
                   "Milliseconds to wait before reconnecting to a lost broker")
        ->type_name("MS")
        ->check(zd::whole_number(0LL, 3600000LL))
        ->capture_default_str()
        ->group(group);
    zd::add_common_options(app, options.common);
    zd::add_security_options(app, options.common.security);
    return zd::run_main(app, argc, argv, [&] { return run(options); });
}
