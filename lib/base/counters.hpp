// Traffic counters of a proxy, kept per direction. A message counts once, when its last
// frame has passed; bytes are the sum of its frame sizes.
#pragma once

#include <cstdint>

namespace zd {

struct direction_counters_t {
    std::uint64_t received_messages = 0; // complete messages read from the input socket
    std::uint64_t received_bytes = 0;
    std::uint64_t sent_messages = 0; // complete messages the output socket accepted
    std::uint64_t sent_bytes = 0;
    std::uint64_t dropped_messages = 0; // refused by a dropping output (ROUTER: peer gone/full)
};

struct proxy_counters_t {
    direction_counters_t frontend_to_backend;
    direction_counters_t backend_to_frontend;
    std::uint64_t captured_messages = 0; // copies the capture socket accepted
    std::uint64_t capture_dropped = 0;   // copies not taken because capture would block
};

} // namespace zd
