// The ZMTP 3.x greeting (RFC 23/ZMTP): the first 64 bytes each side sends.
//   signature: 0xFF, 8 bytes of padding, 0x7F | version: major 3, minor 1 |
//   mechanism: 20 bytes, ASCII, NUL-padded ("NULL", "PLAIN", "CURVE") | as-server: 0 or 1 |
//   filler: 31 zero bytes
// Peers older than ZMTP 3.0 (libzmq before 4.0) are refused rather than downgraded to.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace zd::zmtp {

constexpr std::size_t greeting_size = 64;

using greeting_bytes_t = std::array<char, greeting_size>;

// Our greeting: version 3.1 with the given mechanism (at most 20 ASCII characters).
greeting_bytes_t make_greeting(std::string_view mechanism, bool as_server);

struct greeting_t {
    int major = 0;
    int minor = 0;
    std::string mechanism;
    bool as_server = false;
};

struct greeting_result_t {
    bool ok = false;
    greeting_t greeting;
    std::string error; // why the peer's greeting was refused, when !ok
};

// Parses a peer's 64-byte greeting (bytes must hold exactly greeting_size bytes).
greeting_result_t parse_greeting(std::string_view bytes);

} // namespace zd::zmtp
