// Command-line pieces only the tools need, on top of cli/device_cli.hpp: endpoints where a
// bare address connects, socket type and format names checked while parsing (so a typo is
// exit 2 naming the value), and the ready line of a tool that binds.
#pragma once

#include "cli/device_cli.hpp"

#include <CLI/CLI.hpp>
#include <span>
#include <string_view>
#include <zmq.hpp>

namespace zd::shell {

// Endpoint lists as tools take them: bare = connect, '@' binds, '>' connects.
CLI::Validator tool_endpoint_validator();

// One of the allowed socket type names (case-insensitive).
CLI::Validator socket_type_validator(std::span<const zmq::socket_type> allowed);

// text, hex, json or msgpack.
CLI::Validator output_format_validator();

// Logs "ready endpoint=<attached endpoints>", like a device's ready line: at info level if
// any endpoint is bound (the operator needs the port a wildcard got), else at debug level.
void announce_ready(const endpoint_list_t& attached);

} // namespace zd::shell
