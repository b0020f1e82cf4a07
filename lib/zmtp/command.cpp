#include "zmtp/command.hpp"

#include <stdexcept>

namespace zd::zmtp {

namespace {

bool is_letter(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool is_name_char(char c) {
    return is_letter(c) || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '+';
}

bool valid_property_name(std::string_view name) {
    if (name.empty() || name.size() > 255) return false;
    for (char c : name)
        if (!is_name_char(c)) return false;
    return true;
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

} // namespace

std::optional<command_view_t> parse_command(std::string_view body) {
    if (body.empty()) return std::nullopt;
    const std::size_t size = static_cast<std::uint8_t>(body[0]);
    if (size == 0 || body.size() - 1 < size) return std::nullopt;
    const std::string_view name = body.substr(1, size);
    for (char c : name)
        if (!is_letter(c)) return std::nullopt;
    return command_view_t{name, body.substr(1 + size)};
}

std::string make_command(std::string_view name, std::string_view data) {
    if (name.empty() || name.size() > 255)
        throw std::invalid_argument("a ZMTP command name has 1 to 255 letters");
    std::string body;
    body.reserve(1 + name.size() + data.size());
    body += char(name.size());
    body += name;
    body += data;
    return body;
}

std::string encode_properties(const properties_t& properties) {
    std::string out;
    for (const auto& [name, value] : properties) {
        if (!valid_property_name(name))
            throw std::invalid_argument("bad ZMTP property name '" + name + "'");
        if (value.size() > 0xFFFFFFFFu)
            throw std::invalid_argument("ZMTP property value over 4 GiB");
        out += char(name.size());
        out += name;
        const auto size = std::uint32_t(value.size());
        for (int shift = 24; shift >= 0; shift -= 8)
            out += char((size >> shift) & 0xFF);
        out += value;
    }
    return out;
}

std::optional<properties_t> parse_properties(std::string_view data) {
    properties_t properties;
    while (!data.empty()) {
        const std::size_t name_size = static_cast<std::uint8_t>(data[0]);
        if (data.size() - 1 < name_size + 4) return std::nullopt;
        const std::string_view name = data.substr(1, name_size);
        if (!valid_property_name(name)) return std::nullopt;
        std::uint32_t value_size = 0;
        for (std::size_t i = 0; i < 4; ++i)
            value_size = value_size << 8 | static_cast<std::uint8_t>(data[1 + name_size + i]);
        data.remove_prefix(1 + name_size + 4);
        if (data.size() < value_size) return std::nullopt;
        properties.emplace_back(std::string(name), std::string(data.substr(0, value_size)));
        data.remove_prefix(value_size);
    }
    return properties;
}

std::optional<std::string_view> find_property(const properties_t& properties,
                                              std::string_view name) {
    for (const auto& [key, value] : properties)
        if (equal_ignoring_case(key, name)) return std::string_view(value);
    return std::nullopt;
}

} // namespace zd::zmtp
