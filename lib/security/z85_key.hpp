// CURVE keys as text: libzmq and CZMQ write a 32-byte CURVE key as 40 characters of Z85
// (ZeroMQ RFC 32). Every key that comes from a file or a command line passes through here,
// so a typo is refused with a reason instead of reaching zmq_setsockopt.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zd::security {

using key_bytes_t = std::array<std::uint8_t, 32>;

constexpr std::size_t z85_key_length = 40; // characters of a 32-byte key in Z85

// What is wrong with text as a Z85 CURVE key ("" when nothing): its length, or the first
// character outside the Z85 alphabet and where it is. Never throws.
std::string z85_key_problem(std::string_view text);

// The 32 bytes text encodes, or nothing when z85_key_problem(text) is not empty.
std::optional<key_bytes_t> z85_key_to_binary(std::string_view text);

// The 40-character Z85 text of a binary key.
std::string binary_key_to_z85(const key_bytes_t& key);

// The public key (Z85) of a CURVE secret key (Z85), as zmq_curve_public derives it, or
// nothing when secret_key is not a valid key.
std::optional<std::string> public_key_of(std::string_view secret_key);

// A new key pair from libzmq (zmq_curve_keypair, libsodium's randomness), in Z85. Throws
// std::runtime_error when libzmq was built without CURVE.
struct key_pair_t {
    std::string public_key;
    std::string secret_key;
};
key_pair_t new_key_pair();

} // namespace zd::security
