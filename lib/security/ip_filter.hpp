// The IP allow and deny lists of the ZAP handler: addresses or CIDR blocks, IPv4 and IPv6,
// checked against the address libzmq puts in a ZAP request. An IPv4-mapped IPv6 address
// (::ffff:a.b.c.d, what a dual-stack socket reports for an IPv4 peer) is matched as the IPv4
// address it carries, and a zone (fe80::1%eth0) is ignored, so one rule covers both ways a
// peer can appear. An address that is not IP at all (ipc's ":uid:gid:pid", or empty) matches
// no rule: it passes a deny list and fails a non-empty allow list.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zd::security {

struct ip_address_t {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{}; // IPv4 in the first 4
};

// Parses a peer's address as described above; nothing if it is not an IP address.
std::optional<ip_address_t> parse_peer_address(std::string_view text);

struct cidr_block_t {
    ip_address_t network;
    unsigned prefix_bits = 0; // 0..32 for IPv4, 0..128 for IPv6
    bool contains(const ip_address_t& address) const;
};

// "10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::1". Throws std::invalid_argument naming the
// entry and `list` (e.g. "--zap-ip-deny") for anything else, a prefix out of range, or host
// bits set beyond the prefix ("10.0.0.1/8": the operator meant a host or a network, say which).
cidr_block_t parse_cidr_block(std::string_view entry, std::string_view list);

class ip_filter_t {
public:
    ip_filter_t() = default;
    // Throws as parse_cidr_block does, for the first bad entry.
    ip_filter_t(const std::vector<std::string>& entries, std::string_view list);

    bool empty() const { return blocks_.empty(); }
    // Whether the peer address (as in a ZAP request) falls in any block.
    bool matches(std::string_view peer_address) const;

private:
    std::vector<cidr_block_t> blocks_;
};

} // namespace zd::security
