// Fuzz target: the endpoint-list parser. Any input either parses into endpoints that print
// back to a list that parses to the same endpoints, or throws endpoint_error; nothing else.
#include "core/endpoints.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto endpoints = zd::parse_endpoints(text, zd::attach_mode::connect);
        if (endpoints.empty()) std::abort();
        const auto again = zd::parse_endpoints(zd::to_string(endpoints), zd::attach_mode::bind);
        if (again != endpoints) std::abort(); // printing and parsing must round-trip
    } catch (const zd::endpoint_error&) {
    }
    return 0;
}
