// Where --metrics listens, in our endpoint notation: "@tcp://HOST:PORT". HTTP needs a
// listening TCP socket, so only bound tcp endpoints make sense; everything else is refused
// while the command line is parsed, naming the value.
#pragma once

#include <string>
#include <string_view>

namespace zd::ops {

struct metrics_endpoint_t {
    std::string host;  // as given ("127.0.0.1", "localhost", "::1"); "*" becomes "0.0.0.0"
    unsigned port = 0; // 0: the OS chooses (written '*' or '0')
};

// Parses "@tcp://HOST:PORT" (or "tcp://HOST:PORT": bare endpoints bind, as on a device).
// Throws zd::endpoint_error (a usage error) for anything else: another transport, '>',
// a list, a bad port, or a source address.
metrics_endpoint_t parse_metrics_endpoint(std::string_view text);

// The endpoint as bound, for the ready line: "@tcp://127.0.0.1:9100".
std::string metrics_endpoint_text(const metrics_endpoint_t& endpoint, unsigned bound_port);

} // namespace zd::ops
