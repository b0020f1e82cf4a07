// Fuzz target: msgpack -> JSON (zd-recv --format msgpack). Whatever a frame holds, the output
// is one strict JSON value (RFC 8259, valid UTF-8), and a frame that does not decode becomes
// an object whose first member is "$invalid_msgpack", as msgpack_json.hpp promises.
#include "json_reader.hpp"
#include "shell/msgpack_json.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view frame(reinterpret_cast<const char*>(data), size);
    std::string out;
    const bool decoded = zd::shell::append_msgpack_as_json(out, frame);
    zd::test::json_value_t value;
    try {
        value = zd::test::parse_json(out);
    } catch (const std::runtime_error& error) {
        std::fprintf(stderr, "not JSON (%s): %s\n", error.what(), out.c_str());
        std::abort();
    }
    const bool marked_invalid = value.type == zd::test::json_value_t::kind::object &&
                                !value.members.empty() &&
                                value.members.front().first == "$invalid_msgpack";
    // A valid value may itself be a map with that key, so only the failure case is exact.
    if (!decoded && !marked_invalid) std::abort();
    return 0;
}
