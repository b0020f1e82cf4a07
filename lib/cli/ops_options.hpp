// The options every device offers an operator: --events ENDPOINTS (base/events.hpp) and
// --metrics ENDPOINT (docs/METRICS.md). Declared once here so every device says and checks
// them the same way; ops::device_ops_t (ops/device_ops.hpp) does the rest.
#pragma once

#include "base/device_options.hpp"

#include <CLI/CLI.hpp>
#include <string>

namespace zd::ops {

// A CLI11 validator for the metrics endpoint: a usage error (exit 2) naming the value unless
// it is one bound tcp endpoint, "@tcp://HOST:PORT".
CLI::Validator metrics_endpoint_validator();

// Adds --metrics to app; the text goes to endpoint (empty when the option is not given),
// ready for start_metrics.
void add_metrics_option(CLI::App& app, std::string& endpoint);

// Adds --events and --metrics.
void add_ops_options(CLI::App& app, ops_options_t& options);

} // namespace zd::ops
