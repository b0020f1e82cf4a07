// zd-send — send messages to ZeroMQ sockets from the command line or stdin.
//
// The shell's way into a pipeline: `seq 1 1000 | zd-send tcp://host:5557`. It takes care of
// what makes naive senders lose messages: a PUB waits for its first subscriber instead of
// publishing into the void (slow joiner) and then waits for room instead of dropping what a
// slow subscriber cannot take yet (ZMQ_XPUB_NODROP), linger is generous so that a
// pipeline's tail is handed over before exit, and a sender that never reached any peer says
// so and exits 1.
#include "base/log.hpp"
#include "base/loop_probe.hpp"
#include "base/stop_signal.hpp"
#include "cli/number_option.hpp"
#include "cli/tool_cli.hpp"
#include "security/process_security.hpp"
#include "shell/message_format.hpp"
#include "shell/message_input.hpp"
#include "shell/peer_monitor.hpp"
#include "shell/socket_types.hpp"
#include "shell/tool_io.hpp"

#include <cerrno>
#include <system_error>
#include <unistd.h>

namespace {

using zd::shell::wait_result;

struct send_options_t {
    zd::common_options_t common;
    std::string endpoints;
    std::vector<std::string> messages; // from the arguments; empty: read stdin
    std::string type = "push";
    bool null_delimited = false; // -0
    std::string separator;       // -s: frames within a message; empty: one frame
    long long count = 0;         // -n: messages in total; 0: each argument once / all of stdin
    double rate = 0;             // messages per second; 0: as fast as the peer takes them
    long long wait_subscriber_ms = 5000;
    long long timeout_ms = -1; // per message (send, and reply for req); -1: forever
    std::string format = "text";
};

constexpr long long default_linger_ms = 10000; // a tool's tail matters more than a fast exit
// A publisher blocks inside libzmq's send while a subscriber has no room (see
// send_message_blocking); it looks at the stop signal and --timeout this often.
constexpr int publish_wait_slice_ms = 100;
constexpr int drain_interval = 1024; // messages sent between draining what came back
constexpr std::size_t stdin_chunk = 64 * 1024;

// Where messages come from: the arguments (cycled through when -n asks for more) or stdin
// (one per line, or NUL-terminated), read as it arrives.
class message_source_t {
public:
    explicit message_source_t(const send_options_t& options)
        : options_(options), splitter_(options.null_delimited ? '\0' : '\n') {}

    // The next message, or nothing at the end of the input, at the count, or on a signal.
    std::optional<std::string> next(zd::stop_signal_t& stop) {
        if (options_.count > 0 && produced_ >= std::uint64_t(options_.count)) return {};
        std::optional<std::string> message =
            options_.messages.empty() ? next_from_stdin(stop) : next_from_arguments();
        if (message) ++produced_;
        return message;
    }

    bool stopped() const { return stopped_; }

private:
    std::optional<std::string> next_from_arguments() {
        const auto& messages = options_.messages;
        if (options_.count == 0 && produced_ >= messages.size()) return {};
        return messages[produced_ % messages.size()];
    }

    std::optional<std::string> next_from_stdin(zd::stop_signal_t& stop) {
        while (true) {
            if (auto record = splitter_.next()) return record;
            if (at_end_) return splitter_.finish();
            // Wait with the stop signal in view: a terminal or an idle pipe may never write.
            if (zd::shell::wait_for_readable(STDIN_FILENO, stop, std::nullopt) ==
                wait_result::stopped) {
                stopped_ = true;
                return {};
            }
            char buffer[stdin_chunk];
            const ssize_t got = ::read(STDIN_FILENO, buffer, sizeof buffer);
            if (got > 0) {
                splitter_.feed(std::string_view(buffer, std::size_t(got)));
            } else if (got == 0) {
                at_end_ = true;
            } else if (errno != EINTR && errno != EAGAIN) {
                throw std::system_error(errno, std::generic_category(), "cannot read stdin");
            }
        }
    }

    const send_options_t& options_;
    zd::shell::record_splitter_t splitter_;
    std::uint64_t produced_ = 0;
    bool at_end_ = false;
    bool stopped_ = false;
};

// What came back on a socket that is not waiting for replies (subscriptions on XPUB, answers
// on DEALER or PAIR) is read and dropped, so it never piles up.
void drain_incoming(zmq::socket_t& socket) {
    std::vector<zmq::message_t> message;
    while (zd::shell::try_receive_message(socket, message)) {
    }
}

// Reads the XPUB's pending subscriptions; whether one is a subscriber's. A zd-forwarder's
// loop probe (base/loop_probe.hpp), which every forwarder subscribes its publishers to as
// soon as they connect, is not: it says a forwarder is there, not that anyone listens.
bool subscriber_arrived(zmq::socket_t& socket) {
    std::vector<zmq::message_t> message;
    bool arrived = false;
    while (zd::shell::try_receive_message(socket, message)) {
        if (message.size() != 1 || message[0].size() == 0) continue;
        const std::string_view subscription = message[0].to_string_view();
        if (subscription[0] == 1 && !zd::is_loop_probe(subscription.substr(1))) arrived = true;
    }
    return arrived;
}

bool has_incoming(zmq::socket_type type) {
    return type == zmq::socket_type::xpub || type == zmq::socket_type::dealer ||
           type == zmq::socket_type::pair;
}

std::string milliseconds(long long ms) {
    return std::to_string(ms) + " ms";
}

int run(send_options_t& options, bool separator_given) {
    zd::configure_log("zd-send", options.common);
    zmq::socket_type type =
        zd::shell::parse_socket_type(options.type, zd::shell::sending_socket_types());
    const bool publishing = type == zmq::socket_type::pub || type == zmq::socket_type::xpub;
    if (publishing) type = zmq::socket_type::xpub; // XPUB tells us when a subscriber arrives
    const auto endpoints = zd::parse_endpoints(options.endpoints, zd::attach_mode::connect);
    zd::shell::format_options_t reply_format{zd::shell::parse_output_format(options.format)};
    if (separator_given) reply_format.separator = options.separator;

    zd::stop_signal_t stop; // before the context, so libzmq's threads inherit the mask
    zmq::context_t context(options.common.io_threads);
    // CURVE keys and ZAP domain of the one socket; certificates are read and checked here,
    // before anything attaches (exit 2 on a bad one). After the context: the ZAP handler's
    // sockets close before it ends.
    zd::security::process_security_t security(options.common.security);
    const zd::socket_options_t socket_options =
        security.side("socket", options.common.socket, endpoints);
    security.start(context); // the ZAP handler, before the socket binds
    zmq::socket_t socket(context, type);
    socket_options.apply_to(socket);
    if (publishing) {
        // A PUB drops a message for a subscriber whose queue is full, silently: a fast
        // stream lost most of itself. With NODROP the send waits for room instead.
        socket.set(zmq::sockopt::xpub_nodrop, true);
        socket.set(zmq::sockopt::sndtimeo, publish_wait_slice_ms);
    }
    zd::shell::peer_monitor_t monitor(context, socket);
    const auto attached = zd::attach(socket, endpoints, socket_options);
    zd::shell::announce_ready(attached);

    // On a signal, stop now: whatever is still queued is dropped instead of lingering.
    const auto stop_now = [&] {
        socket.set(zmq::sockopt::linger, 0);
        zd::log::debug("stopping on signal");
        return zd::exit_ok;
    };

    if (publishing && options.wait_subscriber_ms > 0) {
        const auto deadline = zd::shell::deadline_after(options.wait_subscriber_ms);
        bool arrived = false;
        while (!arrived) {
            switch (zd::shell::wait_for_socket(socket, ZMQ_POLLIN, stop, deadline)) {
            case wait_result::ready:
                arrived = subscriber_arrived(socket);
                break;
            case wait_result::timeout:
                zd::log::error("no subscriber within " + milliseconds(options.wait_subscriber_ms) +
                               " (--wait-subscriber); nothing sent");
                socket.set(zmq::sockopt::linger, 0);
                return zd::exit_failure;
            default:
                return stop_now();
            }
        }
        zd::log::debug("a subscriber arrived");
    }

    zd::shell::line_output_t output;
    message_source_t source(options);
    const auto started = zd::shell::clock_t::now();
    std::uint64_t sent = 0;
    while (auto message = source.next(stop)) {
        if (options.rate > 0) {
            // Paced on an absolute schedule, so rounding never drifts the average rate.
            const auto due =
                started + std::chrono::duration_cast<zd::shell::clock_t::duration>(
                              std::chrono::duration<double>(double(sent) / options.rate));
            if (zd::shell::sleep_until(stop, due) == wait_result::stopped) return stop_now();
        }
        const auto frames = zd::shell::take_frames(std::move(*message), options.separator);
        const auto deadline = zd::shell::deadline_after(options.timeout_ms);
        const wait_result result =
            publishing ? zd::shell::send_message_blocking(socket, frames, stop, deadline)
                       : zd::shell::send_message(socket, frames, stop, deadline);
        if (result == wait_result::stopped) return stop_now();
        if (result == wait_result::timeout) {
            zd::log::error("could not send within " + milliseconds(options.timeout_ms) +
                           " (--timeout) after " + std::to_string(sent) + " message(s)");
            socket.set(zmq::sockopt::linger, 0);
            return zd::exit_failure;
        }
        ++sent;
        if (type == zmq::socket_type::req) {
            const wait_result waited =
                zd::shell::wait_for_socket(socket, ZMQ_POLLIN, stop, deadline, output.watch_fd());
            if (waited == wait_result::stopped || waited == wait_result::output_closed)
                return stop_now();
            std::vector<zmq::message_t> reply;
            if (waited == wait_result::timeout || !zd::shell::try_receive_message(socket, reply)) {
                zd::log::error("no reply within " + milliseconds(options.timeout_ms) +
                               " (--timeout) to message " + std::to_string(sent));
                socket.set(zmq::sockopt::linger, 0);
                return zd::exit_failure;
            }
            if (!output.add_line(
                    zd::shell::format_message(zd::shell::frame_views(reply), reply_format)) ||
                !output.flush())
                return stop_now();
        } else if (has_incoming(type) && sent % drain_interval == 0) {
            drain_incoming(socket);
        }
    }
    if (source.stopped()) return stop_now();

    // libzmq drops queued messages silently at close if no peer ever connected: wait for
    // one as long as linger would have kept them, then tell the truth.
    if (sent > 0 && !monitor.peer_seen()) {
        const auto waited =
            monitor.wait_for_peer(stop, zd::shell::deadline_after(options.common.socket.linger_ms));
        if (waited == wait_result::stopped) return stop_now();
        if (waited == wait_result::timeout) {
            const auto failure = monitor.handshake_failure();
            zd::log::error("no peer connected to " + zd::to_string(attached) + " within " +
                           milliseconds(options.common.socket.linger_ms) + " (--linger); " +
                           std::to_string(sent) + " message(s) not delivered" +
                           (failure ? "; " + *failure : std::string()));
            socket.set(zmq::sockopt::linger, 0);
            return zd::exit_failure;
        }
    }
    zd::log::debug("sent " + std::to_string(sent) + " message(s)");
    return zd::exit_ok; // closing the socket waits up to linger for the queue to flush
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"zd-send: send messages to ZeroMQ sockets, from the arguments or stdin.",
                 "zd-send"};
    app.footer(
        "Examples:\n"
        "  zd-send tcp://127.0.0.1:5557 hello world      two messages to a streamer (PUSH)\n"
        "  seq 1 1000 | zd-send tcp://127.0.0.1:5557     one message per line of stdin\n"
        "  find . -print0 | zd-send -0 tcp://host:5557   NUL-terminated records\n"
        "  zd-send -s '|' tcp://host:5557 'key|value'    one message of two frames\n"
        "  zd-send --type pub tcp://host:5555 'weather 21C'  publish once a subscriber is there\n"
        "  zd-send --type req tcp://host:5559 ping       print the reply (zd-recv's formats)\n"
        "  zd-send -n 1000 --rate 100 tcp://host:5557 tick   1000 ticks, 100 per second\n"
        "  zd-send @tcp://*:5557 hello                   bind, wait for a peer, send\n"
        "  zd-send --curve-cert me_secret --curve-server-key hub tcp://hub:5557 hi   over CURVE\n"
        "\n"
        "Messages: each MESSAGE argument is one message; without any, stdin is read, one\n"
        "message per line (or per NUL-terminated record with -0; a last line without a newline\n"
        "still counts, an empty line is an empty message). -s splits each message into frames\n"
        "on SEP (\"a||b\" on '|' gives a, empty, b). Put -- before messages that start with '-'.\n"
        "-n COUNT sends exactly COUNT messages in total: the arguments are cycled through\n"
        "(-n 3 EP a b sends a, b, a), stdin stops after COUNT messages, like head -n.\n"
        "pub/xpub: an XPUB socket waits until the first subscription arrives (at most\n"
        "--wait-subscriber ms, then exit 1) so nothing is published to nobody; later\n"
        "subscribers miss earlier messages. Then it never drops a message for a subscriber\n"
        "that falls behind: it waits for room (ZMQ_XPUB_NODROP), so the slowest subscriber\n"
        "sets the pace; with --timeout, a wait longer than that exits 1 and says how many\n"
        "messages were sent. req: each reply is printed before the next send.\n"
        "Linger: before exit, zd-send waits up to --linger ms for queued messages to leave\n"
        "(default 10000 ms here, not the 500 ms of the devices and other tools: a pipeline's\n"
        "tail matters more than a fast exit), and exits 1 if no peer ever connected.\n"
        "SIGINT/SIGTERM/SIGHUP stop at once (queue dropped).\n"
        "Over ipc://, libzmq can lose the tail of a long stream when the sender exits while\n"
        "the receiver is behind (libzmq issue #4660); tcp:// hands everything over.\n"
        "Endpoints: bare endpoints connect, '@' binds, '>' connects, comma-separated.\n"
        "CURVE (docs/SECURITY.md): connecting takes --curve-cert and the server's\n"
        "--curve-server-key; binding takes --curve-cert and --curve-allow DIR (or\n"
        "--curve-allow-any). A peer refused by CURVE never completes a handshake: exit 1, no "
        "peer.\n"
        "Exit codes: 0 ok, 1 runtime failure (timeout, no subscriber, no peer), 2 usage error\n"
        "(including a missing or unsafe certificate).");
    send_options_t options;
    options.common.socket.linger_ms = default_linger_ms;
    app.add_option("endpoint", options.endpoints,
                   "Where to send: bare = connect, '@' = bind, comma-separated list")
        ->required()
        ->type_name("ENDPOINTS")
        ->check(zd::shell::tool_endpoint_validator());
    app.add_option("message", options.messages,
                   "Messages to send, one per argument (default: read stdin)")
        ->type_name("MESSAGE");
    app.add_option("-t,--type", options.type,
                   "Socket type: " +
                       zd::shell::socket_type_names(zd::shell::sending_socket_types()))
        ->type_name("TYPE")
        ->check(zd::shell::socket_type_validator(zd::shell::sending_socket_types()))
        ->capture_default_str();
    app.add_flag("-0,--null", options.null_delimited,
                 "stdin records end with NUL instead of newline");
    auto* separator = app.add_option("-s,--separator", options.separator,
                                     "Split each message into frames on SEP (and join reply "
                                     "frames with it)")
                          ->type_name("SEP");
    app.add_option("-n,--count", options.count,
                   "Send exactly COUNT messages in total, cycling through the arguments")
        ->type_name("COUNT")
        ->check(zd::whole_number_from<long long>(1));
    app.add_option("--rate", options.rate, "At most this many messages per second")
        ->type_name("MSGS_PER_SEC")
        ->check(zd::decimal_number(0.001, 1e9));
    app.add_option("--wait-subscriber", options.wait_subscriber_ms,
                   "pub/xpub: wait up to MS for the first subscription before sending (0 = "
                   "send at once; messages before a subscription are lost)")
        ->type_name("MS")
        ->check(zd::whole_number_from<long long>(0))
        ->capture_default_str();
    app.add_option("--timeout", options.timeout_ms,
                   "Exit 1 if a message cannot be sent (no peer, or no room: a full queue, a slow "
                   "subscriber), or (req) its reply does not arrive, within MS (default: wait "
                   "forever)")
        ->type_name("MS")
        ->check(zd::whole_number_from<long long>(0));
    app.add_option("--format", options.format,
                   "req: print replies as text, hex, json or msgpack (see zd-recv --help)")
        ->type_name("FORMAT")
        ->check(zd::shell::output_format_validator())
        ->capture_default_str();
    zd::add_common_options(app, options.common);
    zd::add_security_options(app, options.common.security);
    app.get_option("--linger")
        ->description("Milliseconds to wait at exit for queued messages to leave (zd-send: "
                      "10000 by default, not 500 as elsewhere; bounded so exit never hangs)");
    return zd::run_main(app, argc, argv, [&] { return run(options, separator->count() > 0); });
}
