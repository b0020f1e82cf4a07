#include "cli/ops_options.hpp"

#include "base/endpoints.hpp"
#include "cli/device_cli.hpp"
#include "ops/metrics_endpoint.hpp"

namespace zd::ops {

CLI::Validator metrics_endpoint_validator() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            if (text.empty()) return {}; // unset, e.g. in a --print-config file
            try {
                parse_metrics_endpoint(text);
                return {};
            } catch (const endpoint_error& error) {
                return error.what();
            }
        },
        "ENDPOINT", "metrics endpoint");
}

void add_metrics_option(CLI::App& app, std::string& endpoint) {
    app.add_option("--metrics", endpoint,
                   "Serve HTTP on this endpoint: GET /metrics (Prometheus text format) and "
                   "/stats (the STATS JSON), e.g. @tcp://127.0.0.1:9100 (port * = any)")
        ->check(metrics_endpoint_validator());
}

void add_ops_options(CLI::App& app, ops_options_t& options) {
    app.add_option(
           "--events", options.events,
           "Publish events on a PUB socket at these endpoints: two frames, the kind "
           "(connected, disconnected, handshake_failed, oversized, protocol_error, dropped, "
           "error, started, paused, resumed, stopping) and a JSON object; e.g. zd-recv --subscribe "
           "disconnected EP")
        ->check(endpoint_list_validator());
    add_metrics_option(app, options.metrics);
}

} // namespace zd::ops
