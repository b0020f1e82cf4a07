// zd-recv — receive messages from ZeroMQ sockets and print them, one line per message.
//
// The shell end of a pipeline: `zd-recv tcp://host:5558 | grep ... | zd-send ...`. Frame
// boundaries stay visible, bytes that would break the line are escaped, stdout is flushed
// whenever the socket has nothing more, and a closed pipe ends the tool quietly.
#include "base/log.hpp"
#include "base/peer_identity.hpp"
#include "base/stop_signal.hpp"
#include "cli/device_cli.hpp"
#include "cli/number_option.hpp"
#include "cli/tool_cli.hpp"
#include "security/process_security.hpp"
#include "shell/message_format.hpp"
#include "shell/peer_monitor.hpp"
#include "shell/socket_types.hpp"
#include "shell/tool_io.hpp"


namespace {

struct recv_options_t {
    zd::common_options_t common;
    std::string endpoints;
    std::string type;                // empty: pull, or sub when --subscribe is given
    std::vector<std::string> topics; // --subscribe, repeatable
    std::string format = "text";
    std::string separator = " | ";
    long long count = 0;        // 0: until stopped
    long long timeout_ms = -1;  // idle time allowed between messages; -1: forever
    std::string reply;          // rep: answer this instead of echoing
    bool show_identity = false; // prefix each message with its sender's User-Id and name
};

// One output line for a received message, with its sender's identity in front when asked.
std::string format_line(std::vector<zmq::message_t>& message,
                        const zd::shell::format_options_t& format, bool show_identity) {
    std::string line = zd::shell::format_message(zd::shell::frame_views(message), format);
    if (!show_identity) return line;
    // The last frame came from the peer (a ROUTER's routing id frame carries no properties).
    const zd::peer_identity_t sender = zd::peer_identity(message.back());
    return zd::shell::with_identity(line, sender.user_id, sender.name, format);
}

constexpr int stop_check_interval = 256; // messages handled between stop-signal checks

// With -n COUNT, messages that a PULL (DEALER, PAIR, REP) connection takes in beyond COUNT
// are lost when zd-recv exits: the pusher counted them as delivered to us. A receive
// high-water mark of COUNT keeps our own queue from taking in more than we will print, so
// the rest stays with the pusher, for its other consumers. What is already in TCP buffers
// and in the pusher's queue for this connection cannot be held back (see --help). A SUB
// gets its own copies, so taking in more costs nobody anything.
//
void bound_receive_queue(zd::socket_options_t& socket, long long count, zmq::socket_type type,
                         bool hwm_given) {
    if (count > 0 && !hwm_given && type != zmq::socket_type::sub &&
        type != zmq::socket_type::xsub && count < socket.receive_hwm)
        socket.receive_hwm = int(count);
    // libzmq 4.3.4 delivers nothing through a ZAP-authenticated connection (a bound endpoint
    // with CURVE or address lists) into a receive queue of one message: the handshake
    // succeeds, the first message never surfaces (security.identity_recv and
    // security.curve_tools run -n 1 with CURVE). Two let it through, at the price of one
    // message taken in beyond -n 1 from a pusher.
    if (!socket.zap_domain.empty() && socket.receive_hwm == 1) socket.receive_hwm = 2;
}

zmq::socket_type resolve_type(const recv_options_t& options) {
    if (options.type.empty())
        return options.topics.empty() ? zmq::socket_type::pull : zmq::socket_type::sub;
    return zd::shell::parse_socket_type(options.type, zd::shell::receiving_socket_types());
}

void subscribe(zmq::socket_t& socket, zmq::socket_type type,
               const std::vector<std::string>& topics) {
    const std::vector<std::string> all = topics.empty() ? std::vector<std::string>{""} : topics;
    for (const auto& topic : all) {
        if (type == zmq::socket_type::sub) {
            socket.set(zmq::sockopt::subscribe, topic);
        } else { // xsub: a subscription is a message, \x01 then the prefix
            const std::string message = '\x01' + topic;
            socket.send(zmq::buffer(message), zmq::send_flags::none);
        }
    }
}

// REP: answer every request, with the fixed reply or by echoing its frames.
void answer(zmq::socket_t& socket, const std::vector<zmq::message_t>& request,
            const recv_options_t& options, bool fixed_reply) {
    if (fixed_reply) {
        (void)socket.send(zmq::buffer(options.reply), zmq::send_flags::dontwait);
        return;
    }
    for (std::size_t i = 0; i < request.size(); ++i) {
        const auto more = i + 1 < request.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
        (void)socket.send(zmq::buffer(request[i].data(), request[i].size()),
                          more | zmq::send_flags::dontwait);
    }
}

int run(recv_options_t& options, bool fixed_reply, bool hwm_given) {
    zd::configure_log("zd-recv", options.common);
    using zd::shell::wait_result;
    const zmq::socket_type type = resolve_type(options);
    const zd::shell::format_options_t format{zd::shell::parse_output_format(options.format),
                                             options.separator};
    const auto endpoints = zd::parse_endpoints(options.endpoints, zd::attach_mode::connect);

    zd::stop_signal_t stop; // before the context, so libzmq's threads inherit the mask
    zmq::context_t context(options.common.io_threads);
    // CURVE keys and ZAP domain of the one socket; certificates are read and checked here,
    // before anything attaches (exit 2 on a bad one). After the context: the ZAP handler's
    // sockets close before it ends.
    zd::security::process_security_t security(options.common.security);
    zd::socket_options_t socket_options = security.side("socket", options.common.socket, endpoints);
    bound_receive_queue(socket_options, options.count, type, hwm_given);
    security.start(context); // the ZAP handler, before the socket binds
    zmq::socket_t socket(context, type);
    socket_options.apply_to(socket);
    if (type == zmq::socket_type::sub) subscribe(socket, type, options.topics);
    // Says why nothing came when a handshake failed (CURVE refused or missing).
    zd::shell::peer_monitor_t monitor(context, socket);
    const auto attached = zd::attach(socket, endpoints, socket_options);
    if (type == zmq::socket_type::xsub) subscribe(socket, type, options.topics);
    zd::shell::announce_ready(attached);

    zd::shell::line_output_t output;
    std::uint64_t received = 0;
    auto last_message = zd::shell::clock_t::now();
    std::vector<zmq::message_t> message;
    while (true) {
        if (zd::shell::try_receive_message(socket, message)) {
            if (!output.add_line(format_line(message, format, options.show_identity)))
                return zd::exit_ok; // the reader of our output has gone: nothing left to do
            if (type == zmq::socket_type::rep) answer(socket, message, options, fixed_reply);
            ++received;
            last_message = zd::shell::clock_t::now();
            if (options.count > 0 && received == std::uint64_t(options.count)) {
                output.flush();
                return zd::exit_ok;
            }
            // A flood never lets us wait, so look for a stop signal now and then.
            if (received % stop_check_interval == 0 && stop.received()) break;
            continue;
        }
        if (!output.flush()) return zd::exit_ok;
        zd::shell::deadline_t deadline;
        if (options.timeout_ms >= 0)
            deadline = last_message + std::chrono::milliseconds(options.timeout_ms);
        switch (zd::shell::wait_for_socket(socket, ZMQ_POLLIN, stop, deadline, output.watch_fd())) {
        case wait_result::ready:
            continue;
        case wait_result::output_closed:
            return zd::exit_ok;
        case wait_result::stopped:
            break;
        case wait_result::timeout: {
            std::string text =
                "no message within " + std::to_string(options.timeout_ms) + " ms (--timeout)";
            if (received > 0) text += " after " + std::to_string(received) + " message(s)";
            if (options.count > 0) text += "; wanted " + std::to_string(options.count);
            if (const auto failure = monitor.handshake_failure()) text += "; " + *failure;
            zd::log::error(text);
            return zd::exit_failure;
        }
        }
        break;
    }
    output.flush();
    zd::log::debug("stopping on signal after " + std::to_string(received) + " message(s)");
    return zd::exit_ok;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"zd-recv: receive messages from ZeroMQ sockets and print them, one line per "
                 "message.",
                 "zd-recv"};
    app.footer(
        "Examples:\n"
        "  zd-recv tcp://127.0.0.1:5558                 PULL from a streamer's backend\n"
        "  zd-recv --subscribe weather tcp://host:5556  SUB to topics starting with 'weather'\n"
        "  zd-recv -n 1 --timeout 2000 --subscribe alarm tcp://host:5556   the next alarm\n"
        "  zd-recv --type rep --reply ok tcp://host:5560   a worker behind zd-queue\n"
        "  zd-recv --format json tcp://host:5558 | jq .  one JSON array of frames per line\n"
        "  zd-recv tcp://a:5558 | grep ERROR | zd-send tcp://b:5557\n"
        "\n"
        "Output: one line per message. text joins the frames with the separator (' | ') and\n"
        "escapes \\n \\r \\t \\\\ and other control or non-UTF-8 bytes as \\xHH; hex prints each\n"
        "frame as hex digits; json prints [\"frame\",...]; msgpack decodes each frame as msgpack\n"
        "and prints [value,...] as JSON, a frame that does not decode as\n"
        "{\"$invalid_msgpack\":\"why\",\"size\":N,\"hex\":\"...\"}. --show-identity puts\n"
        "USER-ID<tab>NAME<tab> in front of a text or hex line ('-' for none) and prints\n"
        "{\"user_id\":...,\"name\":...,\"frames\":[...]} in json and msgpack. stdout is flushed "
        "whenever no\n"
        "more messages are waiting; when the reader of a pipe goes away, zd-recv exits 0.\n"
        "-n COUNT with pull (and dealer, pair, rep) can lose messages: a pusher such as\n"
        "zd-streamer's backend hands each consumer messages ahead of time, and what this\n"
        "connection has taken in beyond COUNT is lost when zd-recv exits. zd-recv sets its\n"
        "receive high-water mark to COUNT (unless --hwm is given), so its own queue takes in\n"
        "no more than it prints, but what is already in TCP buffers or queued for it in the\n"
        "pusher is lost all the same (zd-streamer logs how many). A sub gets its own copies:\n"
        "-n on sub loses nothing for anybody. To take one message off a queue without losing\n"
        "others, ask for it: zd-journal's READ, or a Majordomo service (zd-call).\n"
        "Endpoints: bare endpoints connect, '@' binds, '>' connects, comma-separated.\n"
        "CURVE (docs/SECURITY.md): connecting takes --curve-cert and the server's\n"
        "--curve-server-key; binding takes --curve-cert and --curve-allow DIR (or\n"
        "--curve-allow-any); a missing or unsafe certificate is a usage error (exit 2).\n"
        "Exit codes: 0 ok (count reached, stopped by SIGINT/SIGTERM/SIGHUP, or output pipe\n"
        "closed), 1 --timeout expired or runtime failure, 2 usage error.");
    recv_options_t options;
    app.add_option("endpoint", options.endpoints,
                   "Where to receive: bare = connect, '@' = bind, comma-separated list")
        ->required()
        ->type_name("ENDPOINTS")
        ->check(zd::shell::tool_endpoint_validator());
    app.add_option(
           "-t,--type", options.type,
           "Socket type: " + zd::shell::socket_type_names(zd::shell::receiving_socket_types()) +
               " (default pull, or sub with --subscribe)")
        ->type_name("TYPE")
        ->check(zd::shell::socket_type_validator(zd::shell::receiving_socket_types()));
    app.add_option("--subscribe", options.topics,
                   "Subscribe to messages whose first frame starts with TOPIC (repeatable; "
                   "implies --type sub; sub without it subscribes to everything)")
        ->type_name("TOPIC")
        ->allow_extra_args(false);
    app.add_option("--format", options.format, "Output format: text, hex, json or msgpack")
        ->type_name("FORMAT")
        ->check(zd::shell::output_format_validator())
        ->capture_default_str();
    app.add_option("-s,--separator", options.separator,
                   "Printed between frames in text and hex output")
        ->capture_default_str();
    app.add_option("-n,--count", options.count,
                   "Exit 0 after COUNT messages (default: no limit; with pull, messages already "
                   "sent to us beyond COUNT are lost, see below)")
        ->type_name("COUNT")
        ->check(zd::whole_number_from<long long>(1));
    app.add_option("--timeout", options.timeout_ms,
                   "Exit 1 if no message arrives for MS milliseconds (default: wait forever)")
        ->type_name("MS")
        ->check(zd::whole_number_from<long long>(0));
    app.add_flag("--show-identity", options.show_identity,
                 "Start each line with the sender's authenticated identity: the ZAP User-Id "
                 "(with CURVE, the client's public key) and its certificate name, each "
                 "followed by a tab, '-' for none; json and msgpack print "
                 "{\"user_id\",\"name\",\"frames\"} instead. Only peers of a socket that "
                 "binds with CURVE have one");
    auto* reply = app.add_option("--reply", options.reply,
                                 "rep: answer every request with TEXT (default: echo the request)")
                      ->type_name("TEXT");
    zd::add_common_options(app, options.common);
    zd::add_security_options(app, options.common.security);
    app.callback([&] {
        // Combinations single options cannot check alone: usage errors, exit 2.
        const zmq::socket_type type = resolve_type(options);
        if (!options.topics.empty() && type != zmq::socket_type::sub &&
            type != zmq::socket_type::xsub)
            throw CLI::ValidationError("--subscribe",
                                       "needs --type sub or xsub, not '" + options.type + "'");
        if (reply->count() > 0 && type != zmq::socket_type::rep)
            throw CLI::ValidationError("--reply", "needs --type rep");
    });
    return zd::run_main(app, argc, argv, [&] {
        return run(options, reply->count() > 0, app.get_option("--hwm")->count() > 0);
    });
}
