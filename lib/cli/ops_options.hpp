// --metrics ENDPOINT, the one option of lib/ops (docs/METRICS.md): where a device serves its
// STATS over HTTP for Prometheus. Declared once here so every device says and checks it the
// same way; start_metrics (ops/metrics_server.hpp) does the rest.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace zd::ops {

// A CLI11 validator for the metrics endpoint: a usage error (exit 2) naming the value unless
// it is one bound tcp endpoint, "@tcp://HOST:PORT".
CLI::Validator metrics_endpoint_validator();

// Adds --metrics to app; the text goes to endpoint (empty when the option is not given),
// ready for start_metrics.
void add_metrics_option(CLI::App& app, std::string& endpoint);

} // namespace zd::ops
