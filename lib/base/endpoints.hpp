// Endpoint lists in CZMQ's notation: "@tcp://*:5555,>ipc:///tmp/x".
// '@' binds, '>' connects, and an endpoint without a prefix takes the side's default
// (devices bind, tools connect). Parsing validates everything it can before any socket
// exists, so a typo is a usage error naming the bad value, not a runtime surprise.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace zmq {
class socket_t;
}

namespace zd {

enum class attach_mode { bind, connect };

struct endpoint_t {
    attach_mode mode;    // bind or connect
    std::string address; // the libzmq address, without the '@'/'>' prefix

    // The endpoint as written in our notation, always with its prefix.
    std::string to_string() const;
    bool operator==(const endpoint_t&) const = default;
};

using endpoint_list_t = std::vector<endpoint_t>;

// Thrown for malformed endpoint text; what() names the bad value and what was expected.
class endpoint_error : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// Parses a comma-separated endpoint list. Endpoints without '@' or '>' take default_mode.
// Throws endpoint_error for an empty list, an empty element, an unknown transport, a tcp
// address without a valid port, or an empty ipc path / inproc name.
endpoint_list_t parse_endpoints(std::string_view text, attach_mode default_mode);

// Parses one endpoint (no commas). Same errors as parse_endpoints.
endpoint_t parse_endpoint(std::string_view text, attach_mode default_mode);

// Binds or connects the socket to every endpoint in order and returns the endpoints as
// attached: a bound wildcard ("tcp://127.0.0.1:*") comes back with the port the OS chose.
// An ipc path is locked for the process before it is bound (base/ipc_lock.hpp).
// Throws std::runtime_error naming the endpoint if libzmq refuses one (address in use, ...),
// ipc_path_in_use (a std::runtime_error) naming the path and the other pid if a live process
// holds an ipc path.
endpoint_list_t attach(zmq::socket_t& socket, const endpoint_list_t& endpoints);

// Joins endpoints back into the comma-separated notation.
std::string to_string(const endpoint_list_t& endpoints);

} // namespace zd
