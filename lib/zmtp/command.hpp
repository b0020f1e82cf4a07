// ZMTP 3.x commands (RFC 23/ZMTP, 37/ZMTP): the body of a COMMAND frame is a name (a size
// byte, then 1-255 letters) and the command's data. READY and INITIATE carry metadata:
// properties, each a name (size byte, 1-255 of A-Z a-z 0-9 - _ . +) and a value (4-byte
// size in network order, then the bytes). Names compare without regard to case.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zd::zmtp {

struct command_view_t {
    std::string_view name;
    std::string_view data;
};

// Splits a command frame's body; nothing if the name is empty, too short for its size byte
// or not letters.
std::optional<command_view_t> parse_command(std::string_view body);

// The body of a command frame.
std::string make_command(std::string_view name, std::string_view data);

using property_t = std::pair<std::string, std::string>;
using properties_t = std::vector<property_t>;

// Encodes metadata. Throws std::invalid_argument for a name that is empty, longer than 255
// bytes or holds a character the grammar does not allow.
std::string encode_properties(const properties_t& properties);

// Decodes metadata; nothing if a property is truncated or its name is malformed.
std::optional<properties_t> parse_properties(std::string_view data);

// The value of the property with this name (case-insensitive), if present.
std::optional<std::string_view> find_property(const properties_t& properties,
                                              std::string_view name);

} // namespace zd::zmtp
