// Fuzz target: the endpoint-list parser and the native transport's address parser. Any input
// either parses into endpoints that print back to a list that parses to the same endpoints,
// or throws endpoint_error; nothing else. Each endpoint the native transport takes prints
// (as libzmq's last endpoint would) to an address it takes again, as the same socket address.
#include "base/endpoints.hpp"
#include "zmtp/address.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

void check_native_address(const zd::endpoint_t& endpoint) {
    const bool bind = endpoint.mode == zd::attach_mode::bind;
    const auto parsed = zd::zmtp::parse_address(endpoint.address, bind);
    if (!parsed.address) {
        if (parsed.unsupported.empty()) std::abort(); // a refusal always says why
        return;
    }
    const std::string printed = zd::zmtp::to_endpoint(*parsed.address);
    const auto again = zd::zmtp::parse_address(printed, true);
    if (!again.address || again.address->length != parsed.address->length ||
        std::memcmp(&again.address->storage, &parsed.address->storage, parsed.address->length) != 0)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto endpoints = zd::parse_endpoints(text, zd::attach_mode::connect);
        if (endpoints.empty()) std::abort();
        const auto again = zd::parse_endpoints(zd::to_string(endpoints), zd::attach_mode::bind);
        if (again != endpoints) std::abort(); // printing and parsing must round-trip
        for (const auto& endpoint : endpoints)
            check_native_address(endpoint);
        for (const auto& endpoint : again) // the same addresses, as binds
            check_native_address(endpoint);
    } catch (const zd::endpoint_error&) {
    }
    return 0;
}
