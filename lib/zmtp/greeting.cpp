#include "zmtp/greeting.hpp"

#include <stdexcept>

namespace zd::zmtp {

namespace {
constexpr std::size_t mechanism_offset = 12;
constexpr std::size_t mechanism_size = 20;
constexpr std::size_t as_server_offset = mechanism_offset + mechanism_size;

// A mechanism field is a name of printable ASCII followed only by NUL padding.
bool well_formed_mechanism(std::string_view field, std::string_view name) {
    if (name.empty() || field.find_first_not_of('\0', name.size()) != std::string_view::npos)
        return false;
    for (char c : name)
        if (c < 0x21 || c > 0x7E) return false;
    return true;
}
} // namespace

greeting_bytes_t make_greeting(std::string_view mechanism, bool as_server) {
    if (mechanism.empty() || mechanism.size() > mechanism_size)
        throw std::invalid_argument("a ZMTP mechanism name has 1 to 20 characters");
    greeting_bytes_t bytes{};
    bytes[0] = char(0xFF);
    bytes[9] = 0x7F;
    bytes[10] = 3;
    bytes[11] = 1;
    mechanism.copy(bytes.data() + mechanism_offset, mechanism.size());
    bytes[as_server_offset] = as_server ? 1 : 0;
    return bytes;
}

greeting_result_t parse_greeting(std::string_view bytes) {
    greeting_result_t result;
    if (bytes.size() != greeting_size) {
        result.error = "a greeting has 64 bytes";
        return result;
    }
    // Bit 0 of byte 9 tells ZMTP 2.0 and later from 1.0, whose first byte is a length.
    if (static_cast<std::uint8_t>(bytes[0]) != 0xFF || !(bytes[9] & 0x01)) {
        result.error = "not a ZMTP 3 greeting (no 0xFF...0x7F signature)";
        return result;
    }
    result.greeting.major = static_cast<std::uint8_t>(bytes[10]);
    result.greeting.minor = static_cast<std::uint8_t>(bytes[11]);
    if (result.greeting.major < 3) {
        // ZMTP/2.0 puts its revision (1) where 3.x puts its major version.
        result.error = "a ZMTP/2.0 or older peer (libzmq before 4.0): only ZMTP 3.0 and later "
                       "are spoken";
        return result;
    }
    const std::string_view field = bytes.substr(mechanism_offset, mechanism_size);
    const std::string_view name = field.substr(0, field.find('\0'));
    if (!well_formed_mechanism(field, name)) {
        result.error = "malformed mechanism name in the greeting";
        return result;
    }
    result.greeting.mechanism = std::string(name);
    result.greeting.as_server = bytes[as_server_offset] != 0;
    result.ok = true;
    return result;
}

} // namespace zd::zmtp
