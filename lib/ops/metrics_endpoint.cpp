#include "ops/metrics_endpoint.hpp"

#include "base/endpoints.hpp"

#include <charconv>

namespace zd::ops {

namespace {

[[noreturn]] void refuse(std::string_view text, std::string_view why) {
    throw endpoint_error("bad endpoint '" + std::string(text) + "': " + std::string(why) +
                         " (expected @tcp://HOST:PORT, e.g. @tcp://127.0.0.1:9100; port '*' "
                         "lets the OS choose)");
}

} // namespace

metrics_endpoint_t parse_metrics_endpoint(std::string_view text) {
    if (text.find(',') != std::string_view::npos)
        refuse(text, "one endpoint only: the metrics are served on one HTTP port");
    // The shared parser names most mistakes (transport, missing port, bad port number).
    const endpoint_t endpoint = parse_endpoint(text, attach_mode::bind);
    if (endpoint.mode != attach_mode::bind)
        refuse(text, "the metrics endpoint is always bound (HTTP servers listen)");
    constexpr std::string_view tcp = "tcp://";
    if (!endpoint.address.starts_with(tcp)) refuse(text, "HTTP is served over tcp only");
    const std::string_view address = std::string_view(endpoint.address).substr(tcp.size());
    if (address.find(';') != std::string_view::npos)
        refuse(text, "a source address is for connecting, not binding");
    const auto colon = address.rfind(':');
    std::string_view host = address.substr(0, colon);
    const std::string_view port = address.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    metrics_endpoint_t result;
    result.host = host == "*" ? "0.0.0.0" : std::string(host);
    if (port != "*")
        std::from_chars(port.data(), port.data() + port.size(), result.port); // checked above
    return result;
}

std::string metrics_endpoint_text(const metrics_endpoint_t& endpoint, unsigned bound_port) {
    const bool ipv6 = endpoint.host.find(':') != std::string::npos;
    const std::string host = ipv6 ? '[' + endpoint.host + ']' : endpoint.host;
    return "@tcp://" + host + ':' + std::to_string(bound_port);
}

} // namespace zd::ops
