// Z85 CURVE keys: libzmq does the arithmetic (zmq_z85_decode/encode); this file adds the
// checks libzmq leaves out (exact length, the alphabet) and the words to explain a refusal.
#include "security/z85_key.hpp"

#include <stdexcept>
#include <zmq.h>

namespace zd::security {

namespace {

// The Z85 alphabet (RFC 32), in value order.
constexpr std::string_view z85_alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

std::string printable(char c) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x21 && byte < 0x7f) return std::string("'") + c + "'";
    constexpr char hex[] = "0123456789abcdef";
    return std::string("byte 0x") + hex[byte >> 4] + hex[byte & 0xf];
}

} // namespace

std::string z85_key_problem(std::string_view text) {
    if (text.size() != z85_key_length)
        return "is " + std::to_string(text.size()) + " characters long; a CURVE key in Z85 has " +
               std::to_string(z85_key_length);
    for (std::size_t i = 0; i < text.size(); ++i)
        if (z85_alphabet.find(text[i]) == std::string_view::npos)
            return "has " + printable(text[i]) + " at position " + std::to_string(i + 1) +
                   ", which is not a Z85 character";
    // Every 5-character group must stand for a 32-bit value; "#####" is 85^5 - 1 > 2^32 - 1.
    key_bytes_t bytes{};
    const std::string terminated(text);
    if (zmq_z85_decode(bytes.data(), terminated.c_str()) == nullptr)
        return "does not decode to 32 bytes (a 5-character group is larger than 32 bits)";
    return {};
}

std::optional<key_bytes_t> z85_key_to_binary(std::string_view text) {
    if (!z85_key_problem(text).empty()) return std::nullopt;
    key_bytes_t bytes{};
    const std::string terminated(text);
    zmq_z85_decode(bytes.data(), terminated.c_str());
    return bytes;
}

std::string binary_key_to_z85(const key_bytes_t& key) {
    char text[z85_key_length + 1] = {};
    zmq_z85_encode(text, key.data(), key.size());
    return std::string(text, z85_key_length);
}

std::optional<std::string> public_key_of(std::string_view secret_key) {
    if (!z85_key_problem(secret_key).empty()) return std::nullopt;
    char public_text[z85_key_length + 1] = {};
    const std::string secret_text(secret_key);
    if (zmq_curve_public(public_text, secret_text.c_str()) != 0) return std::nullopt;
    return std::string(public_text, z85_key_length);
}

key_pair_t new_key_pair() {
    char public_text[z85_key_length + 1] = {};
    char secret_text[z85_key_length + 1] = {};
    if (zmq_curve_keypair(public_text, secret_text) != 0)
        throw std::runtime_error(
            "this libzmq cannot make CURVE keys (built without libsodium: zmq_has(\"curve\") is "
            "false)");
    return {std::string(public_text, z85_key_length), std::string(secret_text, z85_key_length)};
}

} // namespace zd::security
