// --events ENDPOINTS: where a device publishes its events (lib/base/events.hpp). Every device
// takes it; the proxy devices through add_device_options, the others in their mains.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace zd {

void add_events_option(CLI::App& app, std::string& endpoints);

} // namespace zd
