// Endpoint grammar (see docs/ARCHITECTURE.md, "Endpoints"):
//   list     = endpoint *( "," endpoint )
//   endpoint = [ "@" / ">" ] transport "://" address
#include "base/endpoints.hpp"

#include "base/ipc_lock.hpp"

#include <array>
#include <charconv>
#include <zmq.hpp>

namespace zd {

namespace {

constexpr std::array known_transports = {"tcp",  "ipc",  "inproc", "pgm", "epgm",
                                         "tipc", "vmci", "ws",     "wss"};

[[noreturn]] void fail(std::string_view endpoint, const std::string& why) {
    throw endpoint_error("bad endpoint '" + std::string(endpoint) + "': " + why);
}

bool is_known_transport(std::string_view transport) {
    for (const char* known : known_transports)
        if (transport == known) return true;
    return false;
}

// tcp addresses are host:port, [v6]:port or, for connect, source;host:port.
void check_tcp_address(std::string_view endpoint, std::string_view address, attach_mode mode) {
    if (auto semicolon = address.rfind(';'); semicolon != std::string_view::npos)
        address.remove_prefix(semicolon + 1);
    const auto colon = address.rfind(':');
    const auto bracket = address.rfind(']');
    if (colon == std::string_view::npos || (bracket != std::string_view::npos && colon < bracket))
        fail(endpoint, "tcp needs host:port (use '*' as port to let the OS pick one)");
    const std::string_view host = address.substr(0, colon);
    const std::string_view port = address.substr(colon + 1);
    if (host.empty()) fail(endpoint, "tcp address has no host (use '*' to bind every interface)");
    if (port == "*" || port == "0") {
        if (mode == attach_mode::connect)
            fail(endpoint, "cannot connect to a wildcard port; give a port number");
        return;
    }
    unsigned value = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || error != std::errc{} || end != port.data() + port.size() || value == 0 ||
        value > 65535)
        fail(endpoint, "port '" + std::string(port) + "' is not a number from 1 to 65535 or '*'");
}

} // namespace

std::string endpoint_t::to_string() const {
    return (mode == attach_mode::bind ? "@" : ">") + address;
}

endpoint_t parse_endpoint(std::string_view text, attach_mode default_mode) {
    const std::string_view original = text;
    if (text.empty()) fail(original, "empty endpoint");
    attach_mode mode = default_mode;
    if (text.front() == '@' || text.front() == '>') {
        mode = text.front() == '@' ? attach_mode::bind : attach_mode::connect;
        text.remove_prefix(1);
    }
    const auto separator = text.find("://");
    if (separator == std::string_view::npos)
        fail(original, "expected transport://address, e.g. tcp://127.0.0.1:5555");
    const std::string_view transport = text.substr(0, separator);
    const std::string_view address = text.substr(separator + 3);
    if (!is_known_transport(transport))
        fail(original, "unknown transport '" + std::string(transport) +
                           "' (expected tcp, ipc, inproc, pgm, epgm, tipc, vmci, ws or wss)");
    if (address.empty()) fail(original, "empty address after '" + std::string(transport) + "://'");
    if (transport == "tcp") check_tcp_address(original, address, mode);
    return endpoint_t{mode, std::string(text)};
}

endpoint_list_t parse_endpoints(std::string_view text, attach_mode default_mode) {
    if (text.empty()) throw endpoint_error("empty endpoint list");
    endpoint_list_t endpoints;
    std::size_t start = 0;
    while (true) {
        const auto comma = text.find(',', start);
        const auto item =
            text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
        if (item.empty())
            throw endpoint_error("empty endpoint in list '" + std::string(text) + "'");
        endpoints.push_back(parse_endpoint(item, default_mode));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return endpoints;
}

endpoint_list_t attach(zmq::socket_t& socket, const endpoint_list_t& endpoints) {
    endpoint_list_t attached;
    for (const auto& endpoint : endpoints) {
        try {
            if (endpoint.mode == attach_mode::bind) {
                // libzmq removes a socket file in the way: not one a live process serves.
                hold_ipc_path(endpoint.address);
                socket.bind(endpoint.address);
                attached.push_back({attach_mode::bind, socket.get(zmq::sockopt::last_endpoint)});
            } else {
                socket.connect(endpoint.address);
                attached.push_back(endpoint);
            }
        } catch (const zmq::error_t& error) {
            throw std::runtime_error(
                "cannot " + std::string(endpoint.mode == attach_mode::bind ? "bind" : "connect") +
                " " + endpoint.address + ": " + error.what());
        }
    }
    return attached;
}

std::string to_string(const endpoint_list_t& endpoints) {
    std::string text;
    for (const auto& endpoint : endpoints) {
        if (!text.empty()) text += ',';
        text += endpoint.to_string();
    }
    return text;
}

} // namespace zd
