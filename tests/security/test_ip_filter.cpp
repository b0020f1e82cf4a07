// The ZAP handler's IP lists (lib/security/ip_filter.hpp): CIDR edges for IPv4 and IPv6,
// IPv4-mapped and zoned peer addresses, non-IP addresses, and entries refused by name.
#include "security/ip_filter.hpp"

#include <catch2/catch.hpp>

using zd::security::ip_filter_t;

namespace {

bool in(const std::string& entry, const std::string& address) {
    return ip_filter_t({entry}, "ip_allow").matches(address);
}

std::string error_of(const std::string& entry) {
    try {
        ip_filter_t({"127.0.0.1", entry}, "ip_deny");
    } catch (const std::invalid_argument& error) {
        return error.what();
    }
    return "no error";
}

} // namespace

TEST_CASE("an IPv4 block holds its first and last address, not its neighbours", "[zap][ip]") {
    CHECK(in("10.0.0.0/8", "10.0.0.0"));
    CHECK(in("10.0.0.0/8", "10.255.255.255"));
    CHECK_FALSE(in("10.0.0.0/8", "9.255.255.255"));
    CHECK_FALSE(in("10.0.0.0/8", "11.0.0.0"));
    CHECK(in("172.16.0.0/12", "172.31.255.255")); // a prefix inside a byte
    CHECK_FALSE(in("172.16.0.0/12", "172.32.0.0"));
    CHECK_FALSE(in("172.16.0.0/12", "172.15.255.255"));
}

TEST_CASE("a bare address is a /32 or /128, and /0 holds its whole family", "[zap][ip]") {
    CHECK(in("127.0.0.1", "127.0.0.1"));
    CHECK_FALSE(in("127.0.0.1", "127.0.0.2"));
    CHECK(in("192.0.2.7/32", "192.0.2.7"));
    CHECK(in("0.0.0.0/0", "203.0.113.9"));
    CHECK_FALSE(in("0.0.0.0/0", "::1"));
    CHECK(in("::/0", "2001:db8::1"));
    CHECK_FALSE(in("::/0", "127.0.0.1"));
    CHECK(in("::1", "::1"));
    CHECK_FALSE(in("::1", "::2"));
}

TEST_CASE("an IPv6 block holds its first and last address, not its neighbours", "[zap][ip]") {
    CHECK(in("2001:db8::/32", "2001:db8::"));
    CHECK(in("2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
    CHECK_FALSE(in("2001:db8::/32", "2001:db9::"));
    CHECK_FALSE(in("2001:db8::/32", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"));
    CHECK(in("fe80::/10", "febf::1"));
    CHECK_FALSE(in("fe80::/10", "fec0::1"));
}

TEST_CASE("an IPv4 peer seen through a dual-stack socket matches IPv4 rules", "[zap][ip]") {
    CHECK(in("127.0.0.0/8", "::ffff:127.0.0.1"));
    CHECK(in("::ffff:10.0.0.0/104", "10.1.2.3")); // a mapped block is an IPv4 one
    CHECK(in("::ffff:10.1.2.3", "10.1.2.3"));
}

TEST_CASE("a zone in a peer address is ignored", "[zap][ip]") {
    CHECK(in("fe80::/10", "fe80::1%eth0"));
}

TEST_CASE("an address that is not IP matches no rule", "[zap][ip]") {
    CHECK_FALSE(in("0.0.0.0/0", ""));
    CHECK_FALSE(in("0.0.0.0/0", ":1000:1000:4242")); // ipc's peer credentials
    CHECK_FALSE(in("::/0", ":1000:1000:4242"));
    CHECK_FALSE(in("0.0.0.0/0", "localhost"));
    CHECK_FALSE(ip_filter_t().matches("127.0.0.1"));
}

TEST_CASE("a bad entry is refused, naming the list and the entry", "[zap][ip]") {
    CHECK(error_of("10.0.0.0/33") ==
          "ip_deny: '10.0.0.0/33' has a prefix length that is not 0 to 32");
    CHECK(error_of("::1/129") == "ip_deny: '::1/129' has a prefix length that is not 0 to 128");
    CHECK(error_of("10.0.0.1/8") ==
          "ip_deny: '10.0.0.1/8' has host bits set past its prefix length");
    CHECK(error_of("example.com") ==
          "ip_deny: 'example.com' is not an IPv4 or IPv6 address or CIDR block (like 10.0.0.0/8)");
    for (const char* bad : {"", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/8/8", "10.0.0.0/-1",
                            "10.0.0.0/+8", "10.0.0", "1.2.3.4.5", "10.0.0.0 /8", "::1%lo"})
        CHECK_THROWS_AS(ip_filter_t({bad}, "ip_allow"), std::invalid_argument);
}
