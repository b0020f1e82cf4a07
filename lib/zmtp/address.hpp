// The addresses the native ZMTP transport takes, in libzmq's notation, resolved to a socket
// address without DNS: "tcp://127.0.0.1:5555", "tcp://*:*" (bind: every IPv4 interface, a
// port the OS picks), "tcp://[::1]:5555", "tcp://localhost:5555", "ipc:///run/x.ipc" and
// "ipc://@name" (Linux's abstract namespace). Anything else libzmq accepts (host names that
// need DNS, network interface names, "tcp://source;destination", "ipc://*", inproc, pgm...)
// is reported as unsupported, with the reason, so a device can leave it to libzmq.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <sys/socket.h>

namespace zd::zmtp {

struct socket_address_t {
    sockaddr_storage storage{};
    socklen_t length = 0;

    int family() const { return storage.ss_family; }
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
    bool is_ipc() const { return family() == AF_UNIX; }
};

struct parsed_address_t {
    std::optional<socket_address_t> address; // set when the native transport can take it
    std::string unsupported;                 // otherwise, why not
};

// Parses address ("tcp://..." or "ipc://...", no '@'/'>' prefix) for a bind (for_bind) or
// a connect. A wildcard port ('*' or 0) is only for binds.
parsed_address_t parse_address(std::string_view address, bool for_bind);

// The address as libzmq's ZMQ_LAST_ENDPOINT writes it: "tcp://0.0.0.0:41234",
// "tcp://[::1]:5555", "ipc:///run/x.ipc", "ipc://@name".
std::string to_endpoint(const socket_address_t& address);

} // namespace zd::zmtp
