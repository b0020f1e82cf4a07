// IP allow/deny lists: see ip_filter.hpp.
#include "security/ip_filter.hpp"

#include <arpa/inet.h>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace zd::security {

namespace {

constexpr std::uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// inet_pton wants a NUL-terminated string; addresses are short (INET6_ADDRSTRLEN).
std::optional<ip_address_t> parse_ip(std::string_view text) {
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    char buffer[INET6_ADDRSTRLEN] = {};
    std::memcpy(buffer, text.data(), text.size());
    ip_address_t address;
    if (inet_pton(AF_INET, buffer, address.bytes.data()) == 1) return address;
    if (inet_pton(AF_INET6, buffer, address.bytes.data()) != 1) return std::nullopt;
    address.v6 = true;
    return address;
}

// ::ffff:a.b.c.d as a.b.c.d; prefix_bits follows when given (a mapped block).
void unmap_v4(ip_address_t& address, unsigned* prefix_bits = nullptr) {
    if (!address.v6 || std::memcmp(address.bytes.data(), v4_mapped_prefix, 12) != 0) return;
    if (prefix_bits != nullptr) {
        if (*prefix_bits < 96) return; // a block wider than the mapped range stays IPv6
        *prefix_bits -= 96;
    }
    std::memmove(address.bytes.data(), address.bytes.data() + 12, 4);
    std::memset(address.bytes.data() + 4, 0, 12);
    address.v6 = false;
}

bool prefix_equal(const ip_address_t& a, const ip_address_t& b, unsigned bits) {
    const unsigned whole = bits / 8, rest = bits % 8;
    if (std::memcmp(a.bytes.data(), b.bytes.data(), whole) != 0) return false;
    if (rest == 0) return true;
    const std::uint8_t mask = std::uint8_t(0xff << (8 - rest));
    return (a.bytes[whole] & mask) == (b.bytes[whole] & mask);
}

bool host_bits_clear(const ip_address_t& address, unsigned bits) {
    ip_address_t network = address;
    const unsigned total = address.v6 ? 128 : 32;
    for (unsigned bit = bits; bit < total; ++bit)
        network.bytes[bit / 8] &= std::uint8_t(~(0x80u >> (bit % 8)));
    return network.bytes == address.bytes;
}

[[noreturn]] void bad_entry(std::string_view entry, std::string_view list, const char* why) {
    throw std::invalid_argument(std::string(list) + ": '" + std::string(entry) + "' " + why);
}

} // namespace

std::optional<ip_address_t> parse_peer_address(std::string_view text) {
    if (const auto zone = text.find('%'); zone != std::string_view::npos)
        text = text.substr(0, zone);
    auto address = parse_ip(text);
    if (address) unmap_v4(*address);
    return address;
}

bool cidr_block_t::contains(const ip_address_t& address) const {
    return address.v6 == network.v6 && prefix_equal(address, network, prefix_bits);
}

cidr_block_t parse_cidr_block(std::string_view entry, std::string_view list) {
    const std::size_t slash = entry.find('/');
    const std::string_view host = entry.substr(0, slash);
    auto address = parse_ip(host);
    if (!address)
        bad_entry(entry, list, "is not an IPv4 or IPv6 address or CIDR block (like 10.0.0.0/8)");
    const unsigned total = address->v6 ? 128 : 32;
    unsigned bits = total;
    if (slash != std::string_view::npos) {
        const std::string_view digits = entry.substr(slash + 1);
        const auto [end, error] =
            std::from_chars(digits.data(), digits.data() + digits.size(), bits);
        if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() ||
            bits > total)
            bad_entry(entry, list,
                      address->v6 ? "has a prefix length that is not 0 to 128"
                                  : "has a prefix length that is not 0 to 32");
        if (!host_bits_clear(*address, bits))
            bad_entry(entry, list, "has host bits set past its prefix length");
    }
    unmap_v4(*address, &bits);
    return {*address, bits};
}

ip_filter_t::ip_filter_t(const std::vector<std::string>& entries, std::string_view list) {
    blocks_.reserve(entries.size());
    for (const auto& entry : entries)
        blocks_.push_back(parse_cidr_block(entry, list));
}

bool ip_filter_t::matches(std::string_view peer_address) const {
    if (blocks_.empty()) return false;
    const auto address = parse_peer_address(peer_address);
    if (!address) return false;
    for (const auto& block : blocks_)
        if (block.contains(*address)) return true;
    return false;
}

} // namespace zd::security
