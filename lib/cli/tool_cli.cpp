#include "cli/tool_cli.hpp"

#include "base/log.hpp"
#include "shell/message_format.hpp"
#include "shell/socket_types.hpp"

#include <algorithm>

namespace zd::shell {

namespace {

// Wraps a parse function that throws std::invalid_argument (or a subclass) into a CLI11
// validator whose error message is the exception's, which names the bad value.
template <typename Parse>
CLI::Validator validator_from(Parse parse, std::string description) {
    return CLI::Validator(
        [parse](std::string& text) -> std::string {
            try {
                parse(text);
                return {};
            } catch (const std::invalid_argument& error) {
                return error.what();
            }
        },
        std::move(description));
}

} // namespace

CLI::Validator tool_endpoint_validator() {
    return validator_from(
        [](const std::string& text) { parse_endpoints(text, attach_mode::connect); }, "");
}

CLI::Validator socket_type_validator(std::span<const zmq::socket_type> allowed) {
    return validator_from([allowed](const std::string& text) { parse_socket_type(text, allowed); },
                          "");
}

CLI::Validator output_format_validator() {
    return validator_from([](const std::string& text) { parse_output_format(text); }, "");
}

void announce_ready(const endpoint_list_t& attached) {
    const std::string line = "ready endpoint=" + to_string(attached);
    const bool binds = std::ranges::any_of(
        attached, [](const endpoint_t& endpoint) { return endpoint.mode == attach_mode::bind; });
    if (binds)
        log::info(line);
    else
        log::debug(line);
}

} // namespace zd::shell
