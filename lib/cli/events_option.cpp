#include "cli/events_option.hpp"

#include "cli/device_cli.hpp"

namespace zd {

void add_events_option(CLI::App& app, std::string& endpoints) {
    app.add_option("--events", endpoints,
                   "Publish events on a PUB socket at these endpoints: two frames, the kind "
                   "(connected, disconnected, handshake_failed, started, paused, resumed, "
                   "stopping) and a JSON object; e.g. zd-recv --subscribe disconnected EP")
        ->check(endpoint_list_validator());
}

} // namespace zd
