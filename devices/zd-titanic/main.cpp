// zd-titanic — durable request/reply (9/TSP, "Titanic") for a Majordomo broker.
//
// Registers with a zd-broker as the worker for titanic.request, titanic.reply and
// titanic.close. A request is stored in a journal log in DIR, made durable (group commit:
// requests that arrive together share one fdatasync), and only then answered 200 + UUID.
// Each stored request is dispatched to its service through the broker; its reply is stored
// as one record, so a client asking titanic.reply never sees half of it. After kill -9 the
// device restarts on the same DIR, finds every acknowledged request and dispatches what has
// no reply yet. Protocol and guarantees: docs/TITANIC.md.
#include "base/log.hpp"
#include "base/readiness.hpp"
#include "base/stop_signal.hpp"
#include "cli/device_cli.hpp"
#include "cli/journal_log_options.hpp"
#include "cli/number_option.hpp"
#include "cli/ops_options.hpp"
#include "ops/device_ops.hpp"
#include "security/process_security.hpp"
#include "titanic/titanic_server.hpp"

int main(int argc, char** argv) {
    CLI::App app{"zd-titanic: durable request/reply (9/TSP) for a Majordomo broker. Requests "
                 "are stored on disk before they are acknowledged, dispatched to their "
                 "service, and their replies kept until the client closes them.",
                 "zd-titanic"};
    app.footer(
        "Example:\n"
        "  zd-broker -e @tcp://127.0.0.1:5555 &\n"
        "  zd-worker -b tcp://127.0.0.1:5555 --echo echo &\n"
        "  zd-titanic --dir /var/lib/zd/titanic --broker tcp://127.0.0.1:5555 &\n"
        "  uuid=$(zd-call -b tcp://127.0.0.1:5555 titanic.request echo hello | tail -n1)\n"
        "  zd-call -b tcp://127.0.0.1:5555 titanic.reply \"$uuid\"   # 200, hello (300: not yet)\n"
        "  zd-call -b tcp://127.0.0.1:5555 titanic.close \"$uuid\"   # 200\n"
        "Endpoints: '@' binds, '>' connects, comma-separated; --broker connects by\n"
        "default, --control binds.\n"
        "--fsync: batch (default) answers 200 after one fdatasync per group of requests;\n"
        "  always syncs every record; interval=MS answers after write() and syncs every\n"
        "  MS (an OS crash may lose up to MS of acknowledged requests); never leaves it\n"
        "  to the OS. A process crash (kill -9) loses nothing acknowledged in any mode.\n"
        "CURVE (docs/SECURITY.md): --curve-cert and --curve-server-key (the broker's public\n"
        "  certificate) make every socket to the broker a CURVE client; the broker lets it in\n"
        "  only if our public certificate is in its allow directory. --control binds with\n"
        "  the same certificate and needs --curve-allow DIR (or --curve-allow-any).\n"
        "Exit codes: 0 ok, 1 runtime failure (including a failed write or fsync), 2 usage.\n"
        "Signals: SIGINT, SIGTERM and SIGHUP stop it cleanly (exit 0); SIGHUP does not\n"
        "reload the configuration yet.");

    std::string dir, broker, control, fsync_text = "batch";

    zd::ops_options_t ops_options;
    zd::titanic::titanic_config_t config;
    zd::common_options_t common;
    long long heartbeat_ms = config.heartbeat_interval.count();
    long long reconnect_ms = config.reconnect_delay.count();
    long long dispatch_timeout_ms = config.dispatch_timeout.count();
    long long retry_delay_ms = config.retry_delay.count();

    app.add_option("-d,--dir", dir, "Titanic's journal directory (created if missing)")->required();
    app.add_option("-b,--broker", broker, "The broker's endpoints, e.g. tcp://127.0.0.1:5555")
        ->required()
        ->check(zd::endpoint_list_validator());
    app.add_option("--control", control, "Control endpoints (see zd-ctl)")
        ->check(zd::endpoint_list_validator());
    zd::ops::add_ops_options(app, ops_options);

    const char* titanic = "Titanic";
    app.add_option("--request-workers", config.request_workers,
                   "Worker connections for titanic.request; what they bring in together shares "
                   "one commit")
        ->check(zd::whole_number(1, 1024))
        ->capture_default_str()
        ->group(titanic);
    app.add_option("--dispatch-workers", config.dispatch_workers,
                   "Client sockets dispatching stored requests (one request in flight each)")
        ->check(zd::whole_number(1, 1024))
        ->capture_default_str()
        ->group(titanic);
    app.add_option("--max-pending", config.max_pending,
                   "Stored requests without a reply; beyond, titanic.request answers 500")
        ->check(zd::whole_number(std::size_t(1), std::size_t(100000000)))
        ->capture_default_str()
        ->group(titanic);
    app.add_option("--dispatch-timeout", dispatch_timeout_ms,
                   "Milliseconds to wait for a service's reply before retrying on a new socket")
        ->check(zd::whole_number(1LL, 86400000LL))
        ->capture_default_str()
        ->group(titanic);
    app.add_option("--retry-delay", retry_delay_ms,
                   "Milliseconds before a timed-out service is tried again (doubles per timeout, "
                   "up to 30 s)")
        ->check(zd::whole_number(1LL, 3600000LL))
        ->capture_default_str()
        ->group(titanic);
    app.add_option("--heartbeat-interval", heartbeat_ms,
                   "Milliseconds between heartbeats to the broker (match the broker's)")
        ->check(zd::whole_number(1LL, 3600000LL))
        ->capture_default_str()
        ->group(titanic);
    app.add_option("--heartbeat-liveness", config.heartbeat_liveness,
                   "Heartbeat intervals of broker silence after which Titanic reconnects")
        ->check(zd::whole_number(1, 1000))
        ->capture_default_str()
        ->group(titanic);
    app.add_option("--reconnect-delay", reconnect_ms,
                   "Milliseconds to wait after a DISCONNECT from the broker")
        ->check(zd::whole_number(0LL, 3600000LL))
        ->capture_default_str()
        ->group(titanic);
    app.add_option("--batch-max", config.batch_max,
                   "Messages read per connection per round (bounds a commit's size)")
        ->check(zd::whole_number(std::size_t(1), std::size_t(1000000)))
        ->capture_default_str()
        ->group(titanic);

    const char* durability = "Durability";
    zd::journal::add_journal_log_options(
        app, config.log, fsync_text,
        {.segment_bytes = "Roll to a new segment file past this; whole segments that only hold "
                          "closed requests are deleted",
         .max_record = "Largest stored request or reply in bytes (bigger requests get 400)",
         .repair = "At start, move damaged records' bytes to DIR/quarantine/ and keep every "
                   "sound record at its offset, instead of refusing to start"},
        durability);
    zd::add_common_options(app, common);
    zd::add_security_options(app, common.security);

    return zd::run_main(app, argc, argv, [&] {
        zd::configure_log("zd-titanic", common);
        config.log.dir = dir;
        zd::journal::apply_fsync_option(fsync_text, config.log);
        config.heartbeat_interval = std::chrono::milliseconds(heartbeat_ms);
        config.reconnect_delay = std::chrono::milliseconds(reconnect_ms);
        config.dispatch_timeout = std::chrono::milliseconds(dispatch_timeout_ms);
        config.retry_delay = std::chrono::milliseconds(retry_delay_ms);
        zd::titanic::titanic_endpoints_t endpoints{
            zd::parse_endpoints(broker, zd::attach_mode::connect),
            control.empty() ? zd::endpoint_list_t{}
                            : zd::parse_endpoints(control, zd::attach_mode::bind)};

        zd::stop_signal_t stop; // before the context: libzmq's threads inherit the mask
        zmq::context_t context(common.io_threads);
        // The certificates are read and checked here, before anything binds (exit 2 on a bad
        // one). After the context: the ZAP handler's sockets close before it ends.
        zd::security::process_security_t security(common.security);
        const auto broker_options = security.side("broker", common.socket, endpoints.broker);
        const auto control_options = security.side("control", common.socket, endpoints.control);
        security.start(context); // the ZAP handler, before any socket binds
        zd::ops::device_ops_t ops(context, ops_options, common.socket, "zd-titanic");
        zd::titanic::titanic_server_t server(context, endpoints, broker_options, control_options,
                                             config);
        ops.serve_metrics(server.control_socket());
        const auto& attached = server.endpoints();
        zd::announce_ready(
            "broker=" + zd::to_string(attached.broker) +
            (control.empty() ? std::string() : " control=" + zd::to_string(attached.control)) +
            ops.ready_fields());
        // After the ready line, which tests and scripts wait for as the first line.
        zd::log::info(server.recovery_summary());
        switch (server.run(stop)) {
        case zd::titanic::titanic_server_t::exit_reason::signal:
            zd::log::info("stopping on signal");
            return int(zd::exit_ok);
        case zd::titanic::titanic_server_t::exit_reason::terminate:
            zd::log::info("stopping on TERMINATE");
            return int(zd::exit_ok);
        case zd::titanic::titanic_server_t::exit_reason::io_failure:
            break;
        }
        zd::log::error("stopped after a write or fsync failure; restart to recover");
        return int(zd::exit_failure);
    });
}
