// zd-link — a store-and-forward link from one zd-journal to another.
//
// Reads the near journal as a named consumer and publishes every record to the far
// journal's producer frontend under its origin producer id and sequence number, so the far
// journal stores each record once however often the link sends it. A record is
// acknowledged to the near journal only after the far journal acknowledged it: while the far
// side is away records wait durably in the near journal, and when it returns they flow, in
// order. kill -9 of either journal or of the link loses nothing acknowledged. Protocol and
// guarantees: docs/JOURNAL.md, "Store-and-forward links".
#include "base/log.hpp"
#include "base/readiness.hpp"
#include "base/stop_signal.hpp"
#include "cli/device_cli.hpp"
#include "cli/number_option.hpp"
#include "cli/ops_options.hpp"
#include "journal/client/protocol.hpp"
#include "journal/link/journal_link.hpp"
#include "ops/device_ops.hpp"
#include "security/process_security.hpp"

namespace {

// A consumer name or producer id: what the journal accepts, checked as a usage error.
CLI::Validator journal_name_validator() {
    return CLI::Validator(
        [](const std::string& text) {
            return zd::journal::protocol::valid_name(text)
                       ? std::string()
                       : "'" + text + "' is not 1-255 printable characters without spaces";
        },
        "NAME");
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"zd-link: a store-and-forward link between two zd-journals. Records of the "
                 "near journal are published to the far one and acknowledged to the near one "
                 "only once the far one stored them.",
                 "zd-link"};
    app.footer("Example:\n"
               "  zd-link --from '>tcp://hub-a:5561' --to '>tcp://hub-b:5560' --name to-hub-b \\\n"
               "          --control @ipc:///tmp/link.ctl\n"
               "Endpoints: '@' binds, '>' connects, comma-separated; --from and --to connect by\n"
               "default, --control binds.\n"
               "Records keep their origin producer id and sequence number on the far side, so the\n"
               "far journal drops a record the link sends twice (after any restart); records\n"
               "without a producer id (a PULL frontend) go out as --anonymous-id with the near\n"
               "offset + 1. Protocol and guarantees: docs/JOURNAL.md, 'Store-and-forward links'.\n"
               "CURVE: --curve-cert FILE (the link's secret certificate, in both journals'\n"
               "allow-lists) with --near-curve-server-key and --far-curve-server-key (each\n"
               "journal's public certificate); docs/SECURITY.md.\n"
               "Exit codes: 0 ok, 1 runtime failure (a journal refused the link: the near one its\n"
               "subscription, or the far one a record), 2 usage error.\n"
               "Signals: SIGINT, SIGTERM and SIGHUP stop it cleanly (exit 0).");

    std::string from, to, control, position = "stored", anonymous_id;
    zd::journal::link_config_t config;
    zd::ops_options_t ops_options;
    zd::common_options_t common;
    long long resend_ms = config.resend_after.count();

    app.add_option("--from", from, "The near journal's backend (consumer), e.g. >tcp://a:5561")
        ->required()
        ->check(zd::endpoint_list_validator());
    app.add_option("--to", to, "The far journal's frontend (producer), e.g. >tcp://b:5560")
        ->required()
        ->check(zd::endpoint_list_validator());
    app.add_option("--name", config.name,
                   "Consumer name on the near journal: its stored offset is where the link "
                   "resumes. One link per name")
        ->required()
        ->check(journal_name_validator());
    app.add_option("--control", control, "Control endpoints (see zd-ctl)")
        ->check(zd::endpoint_list_validator());
    zd::ops::add_ops_options(app, ops_options);

    const char* link = "Link";
    app.add_option("--window", config.window,
                   "Records held: taken from the near journal and not yet stored far away")
        ->check(zd::whole_number(1, zd::journal::protocol::max_window))
        ->capture_default_str()
        ->group(link);
    app.add_option("--start", position,
                   "Where a name the near journal does not know starts: earliest, latest, an "
                   "offset, @MS since the epoch (a known name resumes at its stored offset)")
        ->capture_default_str()
        ->group(link);
    app.add_option("--anonymous-id", anonymous_id,
                   "Producer id for records stored without one (default zd-link.NAME)")
        ->check(journal_name_validator())
        ->group(link);
    app.add_option("--resend-after", resend_ms,
                   "Milliseconds without an ACK from the far journal before resending what is "
                   "in flight")
        ->check(zd::whole_number(1LL, 3600000LL))
        ->capture_default_str()
        ->group(link);
    zd::add_common_options(app, common);
    // CURVE on every socket: each journal has its own server key (--near-curve-server-key,
    // --far-curve-server-key); the control socket follows the common flags.
    zd::add_security_options(app, common.security);
    zd::add_side_security_options(app, common.security, "near");
    zd::add_side_security_options(app, common.security, "far");

    return zd::run_main(app, argc, argv, [&] {
        zd::configure_log("zd-link", common);
        config.near = from;
        config.far = to;
        config.position = position;
        config.fallback_id = anonymous_id;
        config.resend_after = std::chrono::milliseconds(resend_ms);
        if (!control.empty()) config.control = zd::parse_endpoints(control, zd::attach_mode::bind);

        zd::stop_signal_t stop; // before the context: libzmq's threads inherit the mask
        zmq::context_t context(common.io_threads);
        // After the context (the ZAP handler's sockets close first); certificates are read
        // and checked here, before anything connects or binds (exit 2 on a bad one).
        zd::security::process_security_t security(common.security);
        const zd::journal::link_socket_options_t socket_options{
            security.side("near", common.socket,
                          zd::parse_endpoints(from, zd::attach_mode::connect)),
            security.side("far", common.socket, zd::parse_endpoints(to, zd::attach_mode::connect)),
            security.side("control", common.socket, config.control)};
        security.start(context); // the ZAP handler (a bound side), before any socket binds
        zd::ops::device_ops_t ops(context, ops_options, common.socket, "zd-link");
        std::optional<zd::journal::journal_link_t> link_device;
        try {
            link_device.emplace(context, config, socket_options);
        } catch (const std::invalid_argument& error) { // a bad --start, named
            throw zd::usage_error(error.what());
        }
        ops.serve_metrics(link_device->control_socket());
        // Endpoints only, in the '@'/'>' notation, as every device's ready line has them.
        const auto connect_notation = [](const std::string& text) {
            return zd::to_string(zd::parse_endpoints(text, zd::attach_mode::connect));
        };
        zd::announce_ready("from=" + connect_notation(from) + " to=" + connect_notation(to) +
                           (control.empty()
                                ? std::string()
                                : " control=" + zd::to_string(link_device->control_endpoints())) +
                           ops.ready_fields());
        switch (link_device->run(stop)) {
        case zd::journal::journal_link_t::exit_reason::signal:
            zd::log::info("stopping on signal");
            return int(zd::exit_ok);
        case zd::journal::journal_link_t::exit_reason::terminate:
            zd::log::info("stopping on TERMINATE");
            return int(zd::exit_ok);
        case zd::journal::journal_link_t::exit_reason::refused:
            break;
        }
        zd::log::error("stopped: " + link_device->refusal());
        return int(zd::exit_failure);
    });
}
