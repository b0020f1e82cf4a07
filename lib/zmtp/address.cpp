#include "zmtp/address.hpp"

#include <arpa/inet.h>
#include <charconv>
#include <cstring>
#include <netinet/in.h>
#include <sys/un.h>

namespace zd::zmtp {

namespace {

parsed_address_t unsupported(std::string why) {
    return {std::nullopt, std::move(why)};
}

// The port of "host:port": '*' and "0" are the wildcard (0), only for binds.
std::optional<in_port_t> parse_port(std::string_view text, bool for_bind) {
    if (text == "*" || text == "0") return for_bind ? std::optional<in_port_t>(0) : std::nullopt;
    unsigned value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value == 0 ||
        value > 65535)
        return std::nullopt;
    return htons(in_port_t(value));
}

parsed_address_t parse_tcp(std::string_view address, bool for_bind) {
    if (address.find(';') != std::string_view::npos)
        return unsupported("a source address (tcp://source;destination)");
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos)
        return unsupported("no port in '" + std::string(address) + "'");
    std::string_view host = address.substr(0, colon);
    const auto port = parse_port(address.substr(colon + 1), for_bind);
    if (!port) return unsupported("port '" + std::string(address.substr(colon + 1)) + "'");

    socket_address_t result;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
        auto& v6 = reinterpret_cast<sockaddr_in6&>(result.storage);
        v6.sin6_family = AF_INET6;
        v6.sin6_port = *port;
        if (inet_pton(AF_INET6, std::string(host).c_str(), &v6.sin6_addr) != 1)
            return unsupported("IPv6 host '" + std::string(host) + "'");
        result.length = sizeof v6;
        return {result, {}};
    }
    auto& v4 = reinterpret_cast<sockaddr_in&>(result.storage);
    v4.sin_family = AF_INET;
    v4.sin_port = *port;
    result.length = sizeof v4;
    if (host == "*" && for_bind) {
        v4.sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (host == "localhost") {
        v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else if (inet_pton(AF_INET, std::string(host).c_str(), &v4.sin_addr) != 1) {
        return unsupported("host '" + std::string(host) +
                           "' (a name that needs DNS or an interface name)");
    }
    return {result, {}};
}

parsed_address_t parse_ipc(std::string_view path) {
    if (path.empty() || path == "*") return unsupported("ipc path '" + std::string(path) + "'");
    if (path.find('\0') != std::string_view::npos)
        return unsupported("an ipc path with a NUL byte");
    socket_address_t result;
    auto& unix_address = reinterpret_cast<sockaddr_un&>(result.storage);
    unix_address.sun_family = AF_UNIX;
    // sun_path holds 107 characters and a NUL; an abstract name starts with a NUL instead
    // of '@' and is not NUL-terminated.
    if (path.size() >= sizeof unix_address.sun_path)
        return unsupported("ipc path longer than " +
                           std::to_string(sizeof unix_address.sun_path - 1) + " bytes");
    std::memcpy(unix_address.sun_path, path.data(), path.size());
    const bool abstract = path.front() == '@';
    if (abstract) unix_address.sun_path[0] = '\0';
    result.length = socklen_t(offsetof(sockaddr_un, sun_path) + path.size() + (abstract ? 0 : 1));
    return {result, {}};
}

} // namespace

parsed_address_t parse_address(std::string_view address, bool for_bind) {
    if (address.starts_with("tcp://")) return parse_tcp(address.substr(6), for_bind);
    if (address.starts_with("ipc://")) return parse_ipc(address.substr(6));
    const auto separator = address.find("://");
    return unsupported("transport '" + std::string(address.substr(0, separator)) + "'");
}

std::string to_endpoint(const socket_address_t& address) {
    char text[INET6_ADDRSTRLEN] = {};
    switch (address.family()) {
    case AF_INET: {
        const auto& v4 = reinterpret_cast<const sockaddr_in&>(address.storage);
        inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
        return "tcp://" + std::string(text) + ":" + std::to_string(ntohs(v4.sin_port));
    }
    case AF_INET6: {
        const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address.storage);
        inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
        return "tcp://[" + std::string(text) + "]:" + std::to_string(ntohs(v6.sin6_port));
    }
    case AF_UNIX: {
        const auto& unix_address = reinterpret_cast<const sockaddr_un&>(address.storage);
        const std::size_t size = address.length - offsetof(sockaddr_un, sun_path);
        if (size > 0 && unix_address.sun_path[0] == '\0')
            return "ipc://@" + std::string(unix_address.sun_path + 1, size - 1);
        return "ipc://" + std::string(unix_address.sun_path);
    }
    default:
        return "unknown://";
    }
}

} // namespace zd::zmtp
