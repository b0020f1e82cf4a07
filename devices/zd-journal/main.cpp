// zd-journal — a persistent journaling proxy: nothing acknowledged is ever lost.
//
// Producers send messages to the frontend; each is appended to an append-only, checksummed
// log in DIR and acknowledged only once it is on disk (group commit: what arrives together
// shares one fdatasync). Consumers on the backend receive records in journal order with
// their offset and acknowledge them; each named consumer's offset is kept durably, so after
// any crash it resumes where it left off (at-least-once). Readers on --replay page through
// the journal from any retained offset or time. Protocols and guarantees: docs/JOURNAL.md.
#include "base/log.hpp"
#include "base/readiness.hpp"
#include "base/stop_signal.hpp"
#include "cli/device_cli.hpp"
#include "cli/journal_log_options.hpp"
#include "cli/number_option.hpp"
#include "cli/ops_options.hpp"
#include "journal/server/journal_server.hpp"
#include "ops/device_ops.hpp"
#include "security/process_security.hpp"

namespace {

zd::endpoint_list_t parse_optional(const std::string& text) {
    return text.empty() ? zd::endpoint_list_t{} : zd::parse_endpoints(text, zd::attach_mode::bind);
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"zd-journal: a persistent journaling proxy. Producers' messages are stored "
                 "durably and acknowledged once on disk, delivered to consumers in order, "
                 "and replayed after any crash.",
                 "zd-journal"};
    app.footer(
        "Example:\n"
        "  zd-journal --dir /var/lib/zd/orders -f @tcp://*:5560 -b @tcp://*:5561 \\\n"
        "             --replay @tcp://*:5562 --control @ipc:///tmp/journal.ctl\n"
        "Endpoints: '@' binds, '>' connects, comma-separated; bare endpoints bind.\n"
        "--fsync: batch (default) acknowledges after one fdatasync per group of messages;\n"
        "  always syncs every message; interval=MS acknowledges after write() and syncs every\n"
        "  MS (an OS crash or power loss may lose up to MS of acknowledged messages);\n"
        "  never leaves syncing to the OS (an OS crash loses an unknown amount).\n"
        "  A process crash (kill -9) loses nothing acknowledged in any mode.\n"
        "Protocols, on-disk format and guarantees: docs/JOURNAL.md.\n"
        "CURVE: --curve-cert FILE --curve-allow DIR on every socket (--frontend-, --backend-,\n"
        "--replay-curve-* per side; control follows the common flags); docs/SECURITY.md.\n"
        "Exit codes: 0 ok, 1 runtime failure (including a failed write or fsync, and damage\n"
        "found at start without --repair), 2 usage error.\n"
        "Signals: SIGINT, SIGTERM and SIGHUP stop it cleanly (exit 0); SIGHUP does not\n"
        "reload the configuration yet.");

    std::string dir, frontend, backend, replay, control;
    zd::ops_options_t ops_options;
    std::string fsync_text = "batch";
    std::string frontend_type = "router", backend_type = "router", slow_consumers = "keep";
    long long batch_delay_us = 0, retain_age_s = 0;
    zd::journal::journal_config_t config;
    zd::common_options_t common;

    app.add_option("-d,--dir", dir, "Journal directory (created if missing)")->required();
    app.add_option("-f,--frontend", frontend, "Producer endpoints, e.g. @tcp://*:5560")
        ->required()
        ->check(zd::endpoint_list_validator());
    app.add_option("-b,--backend", backend, "Consumer endpoints, e.g. @tcp://*:5561")
        ->required()
        ->check(zd::endpoint_list_validator());
    app.add_option("--replay", replay, "Replay endpoints: READ from any offset or time")
        ->check(zd::endpoint_list_validator());
    app.add_option("--control", control, "Control endpoints (see zd-ctl)")
        ->check(zd::endpoint_list_validator());
    zd::ops::add_ops_options(app, ops_options);

    const char* sockets = "Sockets";
    app.add_option("--frontend-type", frontend_type,
                   "router: producers PUB and get ACKs; pull: fire-and-forget (still journaled)")
        ->check(CLI::IsMember({"router", "pull"}))
        ->capture_default_str()
        ->group(sockets);
    app.add_option("--backend-type", backend_type,
                   "router: named consumers SUB and ACK (at-least-once); push or pub: plain "
                   "sockets get each record's frames (at-most-once; after a restart from "
                   "where the last run stopped handing records over)")
        ->check(CLI::IsMember({"router", "push", "pub"}))
        ->capture_default_str()
        ->group(sockets);

    const char* durability = "Durability";
    zd::journal::add_journal_log_options(
        app, config.log, fsync_text,
        {.segment_bytes = "Roll to a new segment file past this",
         .max_record = "Largest record body in bytes: a message's bytes + 4 per frame + the "
                       "producer id + 1; messages with a bigger body are refused (ERR 413)",
         .repair = "At start, move damaged records' bytes to DIR/quarantine/ and keep every "
                   "sound record at its offset, instead of refusing to start"},
        durability);
    app.add_option("--batch-max", config.batch_max, "Messages per group commit")
        ->check(zd::whole_number(std::size_t(1), std::size_t(1000000)))
        ->capture_default_str()
        ->group(durability);
    app.add_option("--batch-delay", batch_delay_us,
                   "Microseconds to wait for more messages before a commit (0: commit what "
                   "arrived together)")
        ->check(zd::whole_number(0LL, 1000000LL))
        ->capture_default_str()
        ->group(durability);
    app.add_option("--max-producers", config.log.max_producers,
                   "Producer ids whose last sequence is remembered for dedup (least recently "
                   "seen forgotten first)")
        ->check(zd::whole_number(std::size_t(1), std::size_t(100000000)))
        ->capture_default_str()
        ->group(durability);

    const char* retention = "Retention";
    app.add_option("--retain-bytes", config.log.retain_bytes,
                   "Delete the oldest segments past this many bytes (0: no limit)")
        ->capture_default_str()
        ->group(retention);
    app.add_option("--retain-age", retain_age_s,
                   "Delete segments whose records are all older than this many seconds (0: no "
                   "limit)")
        ->check(zd::whole_number(0LL, 100LL * 365 * 86400))
        ->capture_default_str()
        ->group(retention);
    app.add_option("--retain-slow-consumers", slow_consumers,
                   "keep: never delete what a durable consumer has not acknowledged (the disk "
                   "may fill, then producers wait); drop: delete anyway (the consumer skips "
                   "ahead)")
        ->check(CLI::IsMember({"keep", "drop"}))
        ->capture_default_str()
        ->group(retention);
    zd::add_common_options(app, common);
    // CURVE on every socket; the control socket follows the common flags (docs/SECURITY.md).
    zd::add_security_options(app, common.security);
    for (const char* side : {"frontend", "backend", "replay"})
        zd::add_side_security_options(app, common.security, side);

    return zd::run_main(app, argc, argv, [&] {
        zd::configure_log("zd-journal", common);
        using namespace zd::journal;
        config.log.dir = dir;
        apply_fsync_option(fsync_text, config.log);
        config.log.retain_age = std::chrono::seconds(retain_age_s);
        config.batch_delay = std::chrono::microseconds(batch_delay_us);
        config.frontend = frontend_type == "pull" ? frontend_kind::pull : frontend_kind::router;
        config.backend = backend_type == "push"  ? backend_kind::push
                         : backend_type == "pub" ? backend_kind::pub
                                                 : backend_kind::router;
        config.slow_consumers =
            slow_consumers == "drop" ? slow_consumer_policy::drop : slow_consumer_policy::keep;
        journal_endpoints_t endpoints{zd::parse_endpoints(frontend, zd::attach_mode::bind),
                                      zd::parse_endpoints(backend, zd::attach_mode::bind),
                                      parse_optional(replay), parse_optional(control)};

        zd::stop_signal_t stop; // before the context: libzmq's threads inherit the mask
        zmq::context_t context(common.io_threads);
        // After the context (the ZAP handler's sockets close first); certificates are read
        // and checked here, before anything binds (exit 2 on a bad one).
        zd::security::process_security_t security(common.security);
        const journal_socket_options_t socket_options{
            security.side("frontend", common.socket, endpoints.frontend),
            security.side("backend", common.socket, endpoints.backend),
            security.side("replay", common.socket, endpoints.replay),
            security.side("control", common.socket, endpoints.control)};
        security.start(context); // the ZAP handler, before any socket binds
        zd::ops::device_ops_t ops(context, ops_options, common.socket, "zd-journal");
        journal_server_t server(context, endpoints, socket_options, config);
        ops.serve_metrics(server.control_socket());
        const auto& attached = server.endpoints();
        zd::announce_ready(
            "frontend=" + zd::to_string(attached.frontend) +
            " backend=" + zd::to_string(attached.backend) +
            (replay.empty() ? std::string() : " replay=" + zd::to_string(attached.replay)) +
            (control.empty() ? std::string() : " control=" + zd::to_string(attached.control)) +
            ops.ready_fields());
        // After the ready line, which tests and scripts wait for as the first line.
        zd::log::info(server.recovery().summary());
        switch (server.run(stop)) {
        case journal_server_t::exit_reason::signal:
            zd::log::info("stopping on signal");
            return int(zd::exit_ok);
        case journal_server_t::exit_reason::terminate:
            zd::log::info("stopping on TERMINATE");
            return int(zd::exit_ok);
        case journal_server_t::exit_reason::io_failure:
            break;
        }
        zd::log::error("stopped after a write or fsync failure; restart to recover");
        return int(zd::exit_failure);
    });
}
