#include "base/peer_event.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace zd {

std::string peer_address_of(int fd) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return {};
    char text[INET6_ADDRSTRLEN] = {};
    if (address.ss_family == AF_INET) {
        const auto& in = reinterpret_cast<const sockaddr_in&>(address);
        inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
        return std::string(text) + ":" + std::to_string(ntohs(in.sin_port));
    }
    if (address.ss_family == AF_INET6) {
        const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
        inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
        std::string peer = "[";
        peer += text;
        peer += "]:";
        peer += std::to_string(ntohs(in6.sin6_port));
        return peer;
    }
    return {}; // an ipc client has no name of its own
}

const char* to_string(peer_event_t::kind_t kind) {
    switch (kind) {
    case peer_event_t::kind_t::connected:
        return "connected";
    case peer_event_t::kind_t::disconnected:
        return "disconnected";
    case peer_event_t::kind_t::handshake_failed:
        return "handshake_failed";
    case peer_event_t::kind_t::oversized:
        return "oversized";
    case peer_event_t::kind_t::protocol_error:
        return "protocol_error";
    }
    return "unknown";
}

} // namespace zd
